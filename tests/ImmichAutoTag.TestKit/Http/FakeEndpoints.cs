using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace ImmichAutoTag.TestKit.Http;

internal sealed record Route(string Method, string[] Segments, string OperationId, string? Permission, bool NeedsKey,
    Func<Call, Reply> Handle)
{
    /// <summary>x-immich-admin-only: served to admins only, whatever the key's permissions.</summary>
    public bool AdminOnly { get; init; }

    public bool HasId => Segments.Contains("{id}");

    public bool Matches(string method, string[] path)
    {
        if (!string.Equals(method, Method, StringComparison.OrdinalIgnoreCase) || path.Length != Segments.Length)
        {
            return false;
        }

        for (var i = 0; i < path.Length; i++)
        {
            if (Segments[i] is not ("{id}" or "{name}") && !string.Equals(Segments[i], path[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public string IdSegment(string[] path) => path[Array.IndexOf(Segments, "{id}")];

    public string NameSegment(string[] path) => Array.IndexOf(Segments, "{name}") is var i and >= 0 ? path[i] : "";
}

/// <summary>The Immich operations the fake serves. Handlers run under the state lock and return a finished reply.</summary>
internal sealed partial class FakeEndpoints(FakeImmichState state, FakeImmichOptions options)
{
    private static readonly string[] Visibilities = ["archive", "timeline", "hidden", "locked"];

    public IReadOnlyList<Route> Build() =>
    [
        // literal paths first so "/tags/assets" never reaches the "/tags/{id}" routes
        new("GET", ["server", "ping"], "pingServer", null, false, _ => Json(w => { w.WriteStartObject(); w.WriteString("res", "pong"); w.WriteEndObject(); })),
        new("GET", ["server", "version"], "getServerVersion", null, false, _ => Version()),
        new("GET", ["server", "features"], "getServerFeatures", null, false, _ => Features()),
        new("GET", ["users", "me"], "getMyUser", "user.read", true, MyUser),
        new("GET", ["api-keys", "me"], "getMyApiKey", null, true, MyApiKey),
        new("GET", ["users"], "searchUsers", "user.read", true, SearchUsers),
        new("POST", ["search", "metadata"], "searchAssets", "asset.read", true, SearchAssets),
        new("POST", ["search", "statistics"], "searchAssetStatistics", "asset.statistics", true, SearchStatistics),
        new("PUT", ["assets"], "updateAssets", "asset.update", true, UpdateAssets),
        // Immich 3.x serves the same update as a PATCH twin that the spec leaves out.
        new("PATCH", ["assets"], "updateAssets", "asset.update", true, UpdateAssets),
        new("GET", ["albums"], "getAllAlbums", "album.read", true, GetAllAlbums),
        new("POST", ["albums"], "createAlbum", "album.create", true, CreateAlbum),
        new("GET", ["tags"], "getAllTags", "tag.read", true, GetAllTags),
        new("PUT", ["tags"], "upsertTags", "tag.create", true, UpsertTags),
        new("PUT", ["tags", "assets"], "bulkTagAssets", "tag.asset", true, BulkTagAssets),
        new("GET", ["duplicates"], "getAssetDuplicates", "duplicate.read", true, Duplicates),
        new("GET", ["libraries"], "getAllLibraries", "library.read", true, GetAllLibraries) { AdminOnly = true },
        new("POST", ["assets", "jobs"], "runAssetJobs", "job.create", true, RunAssetJobs),
        new("POST", ["libraries", "{id}", "scan"], "scanLibrary", "library.update", true, ScanLibrary) { AdminOnly = true },
        new("PUT", ["jobs", "{name}"], "runQueueCommandLegacy", "job.create", true, RunQueueCommand) { AdminOnly = true },
        new("GET", ["queues"], "getQueues", "queue.read", true, GetQueues) { AdminOnly = true },
        new("PUT", ["queues", "{name}"], "updateQueue", "queue.update", true, UpdateQueue) { AdminOnly = true },
        new("GET", ["assets", "{id}", "thumbnail"], "viewAsset", "asset.view", true, ViewAsset),
        new("GET", ["assets", "{id}", "original"], "downloadAsset", "asset.download", true, DownloadAsset),
        new("GET", ["assets", "{id}"], "getAssetInfo", "asset.read", true, GetAssetInfo),
        new("GET", ["albums", "{id}"], "getAlbumInfo", "album.read", true, GetAlbumInfo),
        new("DELETE", ["albums", "{id}"], "deleteAlbum", "album.delete", true, DeleteAlbum),
        new("PUT", ["albums", "{id}", "assets"], "addAssetsToAlbum", "albumAsset.create", true, AddAssetsToAlbum),
        new("DELETE", ["albums", "{id}", "assets"], "removeAssetFromAlbum", "albumAsset.delete", true, RemoveAssetsFromAlbum),
        new("PUT", ["albums", "{id}", "users"], "addUsersToAlbum", "albumUser.create", true, AddUsersToAlbum),
        new("PUT", ["albums", "{id}", "user", "{name}"], "updateAlbumUser", "albumUser.update", true, UpdateAlbumUser),
        new("DELETE", ["albums", "{id}", "user", "{name}"], "removeUserFromAlbum", "albumUser.delete", true, RemoveUserFromAlbum),
        new("PUT", ["tags", "{id}", "assets"], "tagAssets", "tag.asset", true, TagAssets),
        new("DELETE", ["tags", "{id}", "assets"], "untagAssets", "tag.asset", true, UntagAssets),
        new("DELETE", ["tags", "{id}"], "deleteTag", "tag.delete", true, DeleteTag),
    ];

    private sealed record CachedSearch(string Key, long Version, List<FakeAsset> Matches);

    private CachedSearch? _lastSearch;

    private static JsonReply Json(Action<Utf8JsonWriter> write) => JsonReply.Write(StatusCodes.Status200OK, write);

    private static Reply? Invalid(Call call) => call.Body.Errors.Count > 0 ? ErrorReply.Validation(call.Body.Errors) : null;

    private Reply Version()
    {
        var core = (state.ServerVersion ?? options.Version).Split('-', 2)[0].Split('.');
        int Part(int i) => i < core.Length && int.TryParse(core[i], CultureInfo.InvariantCulture, out var n) ? n : 0;
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("major", Part(0));
            w.WriteNumber("minor", Part(1));
            w.WriteNumber("patch", Part(2));
            w.WriteNull("prerelease");
            w.WriteEndObject();
        });
    }

    private Reply Features() => Json(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("smartSearch", false);
        w.WriteBoolean("duplicateDetection", options.DuplicateDetection);
        w.WriteBoolean("facialRecognition", false);
        w.WriteBoolean("ocr", false);
        w.WriteBoolean("map", true);
        w.WriteBoolean("reverseGeocoding", true);
        w.WriteBoolean("trash", true);
        w.WriteBoolean("search", true);
        w.WriteBoolean("sidecar", true);
        w.WriteBoolean("oauth", false);
        w.WriteBoolean("oauthAutoLaunch", false);
        w.WriteBoolean("passwordLogin", true);
        w.WriteBoolean("configFile", false);
        w.WriteBoolean("email", false);
        w.WriteBoolean("importFaces", false);
        w.WriteBoolean("realtimeTranscoding", false);
        w.WriteEndObject();
    });

    private Reply MyUser(Call call) => Json(w => FakeJson.WriteUserAdmin(w, call.User, state.QuotaUsageLocked(call.User.Id)));

    private static Reply MyApiKey(Call call) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("id", call.Key.Id);
        w.WriteString("name", "fake key");
        w.WriteStartArray("permissions");
        foreach (var p in call.Key.Permissions)
        {
            w.WriteStringValue(p);
        }

        w.WriteEndArray();
        w.WriteString("createdAt", FakeJson.Date(call.Key.CreatedAt));
        w.WriteString("updatedAt", FakeJson.Date(call.Key.CreatedAt));
        w.WriteEndObject();
    });

    private Reply SearchAssets(Call call)
    {
        var body = call.Body;
        var page = body.Int("page", 1, 9007199254740991) ?? 1;
        var size = body.Int("size", 1, 1000) ?? 250;
        var order = body.Enum("order", "asc", "desc") ?? "desc";
        var withExif = body.Bool("withExif") ?? false;
        var filter = SearchFilter.Read(body);
        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        // A client walking pages sends the same filters each time; filter once per state version, not once per page.
        var key = call.User.Id + "|" + call.Body.KeyWithout("page", "size", "withExif", "withPeople", "withStacked");
        if (_lastSearch is not { } cached || cached.Version != state.Version || cached.Key != key)
        {
            cached = new CachedSearch(key, state.Version, filter.Run(state, call.User.Id, order == "desc").ToList());
            _lastSearch = cached;
        }

        var skip = (page - 1) * size;
        var items = cached.Matches.Skip((int)Math.Min(skip, int.MaxValue)).Take((int)size).ToList();
        var hasMore = skip + size < cached.Matches.Count;

        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("albums");
            w.WriteNumber("total", 0);
            w.WriteNumber("count", 0);
            w.WriteStartArray("items");
            w.WriteEndArray();
            w.WriteStartArray("facets");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("assets");
            // The real server reports the page's length as total, not the number of matches.
            w.WriteNumber("total", items.Count);
            w.WriteNumber("count", items.Count);
            w.WriteStartArray("items");
            foreach (var asset in items)
            {
                FakeJson.WriteAsset(w, state, asset, withTags: false, withExif);
            }

            w.WriteEndArray();
            w.WriteStartArray("facets");
            w.WriteEndArray();
            if (hasMore)
            {
                w.WriteString("nextPage", (page + 1).ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                w.WriteNull("nextPage");
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private Reply SearchStatistics(Call call)
    {
        var filter = SearchFilter.Read(call.Body);
        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        var total = filter.Run(state, call.User.Id, descending: false).Count();
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("total", total);
            w.WriteEndObject();
        });
    }

    private Reply GetAssetInfo(Call call)
    {
        var asset = state.FindAsset(call.PathId);
        if (asset is null || !state.CanReadAsset(call.User.Id, asset))
        {
            return ErrorReply.NoAccess("asset.read");
        }

        return Json(w => FakeJson.WriteAsset(w, state, asset, withTags: true, withExif: true));
    }

    private Reply ViewAsset(Call call)
    {
        var size = call.Query["size"].ToString();
        if (size.Length > 0 && size is not ("thumbnail" or "preview" or "fullsize" or "original"))
        {
            return ErrorReply.Validation(["size must be one of the following values: original, fullsize, preview, thumbnail"]);
        }

        var asset = state.FindAsset(call.PathId);
        if (asset is null || !state.CanReadAsset(call.User.Id, asset))
        {
            return ErrorReply.NoAccess("asset.view");
        }

        var colour = asset.ThumbnailColour ?? FakeThumbnails.ColourOf(asset.Id);
        return size is "" or "thumbnail"
            ? new BytesReply("image/webp", asset.ThumbnailBytes ?? FakeThumbnails.Webp(colour))
            : new BytesReply("image/jpeg", FakeThumbnails.Jpeg(colour));
    }

    private Reply DownloadAsset(Call call)
    {
        var asset = state.FindAsset(call.PathId);
        if (asset is null || !state.CanReadAsset(call.User.Id, asset))
        {
            return ErrorReply.NoAccess("asset.download");
        }

        return new BytesReply("application/octet-stream", asset.Original());
    }

    private Reply UpdateAssets(Call call)
    {
        var body = call.Body;
        var ids = body.UuidArray("ids", required: true);
        var dateText = body.String("dateTimeOriginal");
        var relative = body.Int("dateTimeRelative", -9007199254740991, 9007199254740991);
        body.String("timeZone");
        var clearDuplicate = body.IsNull("duplicateId");
        var duplicateId = body.Uuid("duplicateId");
        var description = body.String("description");
        var isFavorite = body.Bool("isFavorite");
        var visibility = body.Enum("visibility", Visibilities);
        body.Int("rating", -1, 5);
        body.Number("latitude");
        body.Number("longitude");
        ParsedDate? date = null;
        if (dateText is not null)
        {
            date = ParseDateTimeOriginal(dateText);
            if (date is null)
            {
                body.Errors.Add("dateTimeOriginal must be a valid ISO 8601 date string");
            }
        }

        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        var assets = ids!.Select(state.FindAsset).ToList(); // non-null: required, so Invalid() returned otherwise
        if (assets.Any(a => a is null || a.OwnerId != call.User.Id))
        {
            return ErrorReply.NoAccess("asset.update");
        }

        var now = state.Clock.GetUtcNow();
        foreach (var asset in assets.OfType<FakeAsset>())
        {
            // The real server applies dates later through a job (see FakeImmichState.DateWriteDelay).
            if (date is { } d)
            {
                state.WriteDatesLocked(asset, d.Instant, d.WallClock, d.TimeZone);
            }

            if (relative is { } minutes)
            {
                asset.FileCreatedAt = asset.FileCreatedAt.AddMinutes(minutes);
                asset.LocalDateTime = asset.LocalDateTime.AddMinutes(minutes);
                state.MarkDatesChanged();
            }

            if (clearDuplicate)
            {
                asset.DuplicateId = null;
            }
            else if (duplicateId is { } dup)
            {
                asset.DuplicateId = dup;
            }

            if (description is not null)
            {
                asset.Description = description;
            }

            if (isFavorite is { } fav)
            {
                asset.IsFavorite = fav;
            }

            if (visibility is not null)
            {
                asset.Visibility = visibility;
            }

            asset.UpdatedAt = now;
        }

        state.Touch();

        return new EmptyReply(StatusCodes.Status204NoContent);
    }

    private sealed record ParsedDate(DateTimeOffset Instant, DateTime WallClock, string? TimeZone);

    [GeneratedRegex(@"(Z|[+-]\d{2}:?\d{2})$", RegexOptions.IgnoreCase)]
    private static partial Regex OffsetSuffix();

    /// <summary>A string with an offset keeps its wall clock and a fixed "UTC±h" zone; one without is UTC.</summary>
    private static ParsedDate? ParseDateTimeOriginal(string text)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return null;
        }

        var suffix = OffsetSuffix().Match(text.Trim());
        if (!suffix.Success || suffix.Value.Equals("Z", StringComparison.OrdinalIgnoreCase))
        {
            return new ParsedDate(value.ToUniversalTime(), value.UtcDateTime, suffix.Success ? "UTC" : null);
        }

        var offset = value.Offset;
        var zone = offset.Minutes == 0
            ? string.Create(CultureInfo.InvariantCulture, $"UTC{(offset < TimeSpan.Zero ? "-" : "+")}{Math.Abs(offset.Hours)}")
            : string.Create(CultureInfo.InvariantCulture, $"UTC{(offset < TimeSpan.Zero ? "-" : "+")}{Math.Abs(offset.Hours)}:{Math.Abs(offset.Minutes):00}");
        return new ParsedDate(value.ToUniversalTime(), value.DateTime, zone);
    }

    private Reply GetAllAlbums(Call call)
    {
        var errors = new List<string>();
        Guid? QueryGuid(string name)
        {
            var text = call.Query[name].ToString();
            if (text.Length == 0)
            {
                return null;
            }

            if (Guid.TryParseExact(text, "D", out var id))
            {
                return id;
            }

            errors.Add($"{name} must be a UUID");
            return null;
        }

        bool? QueryBool(string name)
        {
            var text = call.Query[name].ToString();
            if (text.Length == 0)
            {
                return null;
            }

            if (bool.TryParse(text, out var b))
            {
                return b;
            }

            errors.Add($"{name} must be a boolean value");
            return null;
        }

        var assetId = QueryGuid("assetId");
        var albumId = QueryGuid("id");
        var isOwned = QueryBool("isOwned");
        var isShared = QueryBool("isShared");
        var name = call.Query["name"].ToString();
        if (errors.Count > 0)
        {
            return ErrorReply.Validation(errors);
        }

        var albums = state.AllAlbumsLocked.Where(a => FakeImmichState.CanSeeAlbum(call.User.Id, a));
        if (assetId is { } asset)
        {
            // The spec says assetId ignores the other parameters.
            var containing = state.AlbumsOfAssetLocked(asset);
            albums = albums.Where(a => containing.Contains(a.Id));
        }
        else
        {
            albums = albums.Where(a =>
                (albumId is null || a.Id == albumId)
                && (name.Length == 0 || a.Name == name)
                && (isOwned is null || (a.OwnerId == call.User.Id) == isOwned)
                && (isShared is null || (a.SharedWith.Count > 0) == isShared));
        }

        var list = albums.OrderByDescending(a => a.CreatedAt).ThenBy(a => a.Id).ToList();
        return Json(w =>
        {
            w.WriteStartArray();
            foreach (var album in list)
            {
                FakeJson.WriteAlbum(w, state, album, call.User.Id);
            }

            w.WriteEndArray();
        });
    }

    private Reply GetAlbumInfo(Call call)
    {
        var album = state.FindAlbum(call.PathId);
        if (album is null || !FakeImmichState.CanSeeAlbum(call.User.Id, album))
        {
            return ErrorReply.NoAccess("album.read");
        }

        return Json(w => FakeJson.WriteAlbum(w, state, album, call.User.Id));
    }

    private Reply CreateAlbum(Call call)
    {
        var body = call.Body;
        var name = body.String("albumName", required: true);
        var description = body.String("description");
        var assetIds = body.UuidArray("assetIds") ?? [];
        var shares = new List<(Guid User, string Role)>();
        foreach (var item in body.ObjectArray("albumUsers"))
        {
            if (item.ValueKind == JsonValueKind.Object
                && item.TryGetProperty("userId", out var u) && u.ValueKind == JsonValueKind.String
                && Guid.TryParseExact(u.GetString(), "D", out var userId)
                && item.TryGetProperty("role", out var r) && r.GetString() is "editor" or "viewer")
            {
                shares.Add((userId, r.GetString()!)); // non-null: matched a literal above
            }
            else
            {
                body.Errors.Add("albumUsers.userId must be a UUID; albumUsers.role must be one of the following values: editor, viewer");
            }
        }

        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        if (assetIds.Any(id => state.FindAsset(id) is not { } a || !state.CanReadAsset(call.User.Id, a)))
        {
            return ErrorReply.NoAccess("asset.share");
        }

        if (shares.Any(s => state.FindUser(s.User) is null))
        {
            return ErrorReply.BadRequest("User not found");
        }

        if (state.Albums.Any(a => a.OwnerId == call.User.Id && string.Equals(a.Name, name, StringComparison.Ordinal)))
        {
            state.DuplicateAlbumCreations++;
        }

        var album = state.AddAlbumWithId(Guid.NewGuid(), call.User.Id, name!, assetIds, description ?? ""); // non-null: required
        state.AlbumCreatedLocked(album);
        foreach (var (user, role) in shares)
        {
            album.SharedWith[user] = role;
            state.AlbumUserAddedLocked(album.Id, user);
        }

        return JsonReply.Write(StatusCodes.Status201Created, w => FakeJson.WriteAlbum(w, state, album, call.User.Id));
    }

    private static bool CanEditAlbum(Guid userId, FakeAlbum album) =>
        album.OwnerId == userId || (album.SharedWith.TryGetValue(userId, out var role) && role == "editor");

    private Reply AddAssetsToAlbum(Call call)
    {
        var ids = call.Body.UuidArray("ids", required: true);
        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        var album = state.FindAlbum(call.PathId);
        if (album is null || !CanEditAlbum(call.User.Id, album))
        {
            return ErrorReply.NoAccess("albumAsset.create");
        }

        var results = new List<(Guid, string?)>();
        foreach (var id in ids!) // non-null: required
        {
            string? error = state.FindAsset(id) is not { } asset || !state.CanReadAsset(call.User.Id, asset)
                ? "no_permission"
                : state.LinkAlbumAsset(album.Id, id) ? null : "duplicate";
            if (error is null)
            {
                state.AlbumAssetAddedLocked(album.Id, id);
            }

            results.Add((id, error));
        }

        state.TagsChangedLocked(results.Where(r => r.Item2 is null).Select(r => r.Item1));
        return BulkIds(results);
    }

    /// <summary>Only the owner may delete an album (Immich answers others with a 400 "Not found or no album.delete access").</summary>
    private Reply DeleteAlbum(Call call)
    {
        if (state.FindAlbum(call.PathId) is not { } album || album.OwnerId != call.User.Id)
        {
            return ErrorReply.NoAccess("album.delete");
        }

        state.AlbumDeletingLocked(album, state.AlbumAssetsLocked(album.Id));
        state.DeleteAlbumLocked(album.Id);
        return new EmptyReply(StatusCodes.Status204NoContent);
    }

    private Reply RemoveAssetsFromAlbum(Call call)
    {
        var ids = call.Body.UuidArray("ids", required: true);
        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        var album = state.FindAlbum(call.PathId);
        if (album is null || !CanEditAlbum(call.User.Id, album))
        {
            return ErrorReply.NoAccess("albumAsset.delete");
        }

        var results = ids!.Select(id => (id, state.UnlinkAlbumAsset(album.Id, id) ? null : (string?)"not_found")).ToList(); // non-null: required
        return BulkIds(results);
    }

    private Reply SearchUsers(Call call)
    {
        var users = state.AllUsersLocked.OrderBy(u => u.Email, StringComparer.Ordinal).ToList();
        return Json(w =>
        {
            w.WriteStartArray();
            foreach (var user in users)
            {
                FakeJson.WriteUser(w, user);
            }

            w.WriteEndArray();
        });
    }

    /// <summary>Like Immich: only the owner shares; the owner or a user already in the album is a 400.</summary>
    private Reply AddUsersToAlbum(Call call)
    {
        var body = call.Body;
        var shares = new List<(Guid User, string Role)>();
        foreach (var item in body.ObjectArray("albumUsers"))
        {
            if (item.ValueKind == JsonValueKind.Object
                && item.TryGetProperty("userId", out var u) && u.ValueKind == JsonValueKind.String
                && Guid.TryParseExact(u.GetString(), "D", out var userId))
            {
                var role = item.TryGetProperty("role", out var r) ? r.GetString() : "editor";
                if (role is "editor" or "viewer")
                {
                    shares.Add((userId, role));
                    continue;
                }
            }

            body.Errors.Add("albumUsers.userId must be a UUID; albumUsers.role must be one of the following values: editor, viewer");
        }

        if (shares.Count == 0)
        {
            body.Errors.Add("albumUsers must contain at least 1 elements");
        }

        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        var album = state.FindAlbum(call.PathId);
        if (album is null || album.OwnerId != call.User.Id)
        {
            return ErrorReply.NoAccess("albumUser.create");
        }

        foreach (var (user, _) in shares)
        {
            if (user == album.OwnerId)
            {
                return ErrorReply.BadRequest("Cannot be shared with owner");
            }

            if (album.SharedWith.ContainsKey(user))
            {
                return ErrorReply.BadRequest("User already added");
            }

            if (state.FindUser(user) is null)
            {
                return ErrorReply.BadRequest("User not found");
            }
        }

        foreach (var (user, role) in shares)
        {
            album.SharedWith[user] = role;
            state.AlbumUserAddedLocked(album.Id, user);
        }

        return Json(w => FakeJson.WriteAlbum(w, state, album, call.User.Id));
    }

    private Reply UpdateAlbumUser(Call call)
    {
        var role = call.Body.String("role", required: true);
        if (role is not null and not ("editor" or "viewer"))
        {
            call.Body.Errors.Add("role must be one of the following values: editor, owner, viewer");
        }

        if (!Guid.TryParseExact(call.PathName, "D", out var userId))
        {
            call.Body.Errors.Add("userId must be a UUID");
        }

        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        var album = state.FindAlbum(call.PathId);
        if (album is null || album.OwnerId != call.User.Id)
        {
            return ErrorReply.NoAccess("albumUser.update");
        }

        if (!album.SharedWith.ContainsKey(userId))
        {
            return ErrorReply.BadRequest("Album not shared with user");
        }

        album.SharedWith[userId] = role!; // non-null: required
        return new EmptyReply(StatusCodes.Status204NoContent);
    }

    private Reply RemoveUserFromAlbum(Call call)
    {
        if (!Guid.TryParseExact(call.PathName, "D", out var userId))
        {
            return ErrorReply.Validation(["userId must be a UUID"]);
        }

        var album = state.FindAlbum(call.PathId);
        if (album is null || (album.OwnerId != call.User.Id && userId != call.User.Id))
        {
            return ErrorReply.NoAccess("albumUser.delete");
        }

        if (!album.SharedWith.Remove(userId))
        {
            return ErrorReply.BadRequest("Album not shared with user");
        }

        return new EmptyReply(StatusCodes.Status204NoContent);
    }

    private static JsonReply BulkIds(List<(Guid Id, string? Error)> results) => Json(w =>
    {
        w.WriteStartArray();
        foreach (var (id, error) in results)
        {
            FakeJson.WriteBulkId(w, id, error);
        }

        w.WriteEndArray();
    });

    private Reply GetAllTags(Call call)
    {
        var tags = state.AllTagsLocked.OrderBy(t => t.Value, StringComparer.Ordinal).ToList();
        return Json(w =>
        {
            w.WriteStartArray();
            foreach (var tag in tags)
            {
                FakeJson.WriteTag(w, tag);
            }

            w.WriteEndArray();
        });
    }

    private Reply UpsertTags(Call call)
    {
        var paths = call.Body.StringArray("tags", required: true);
        if (paths is not null && paths.Any(p => p.Split('/', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Length == 0))
        {
            call.Body.Errors.Add("each value in tags must not be empty");
        }

        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        var leaves = paths!.Select(p => state.UpsertTagLocked(p, Guid.NewGuid)).ToList(); // non-null: required
        return Json(w =>
        {
            w.WriteStartArray();
            foreach (var tag in leaves)
            {
                FakeJson.WriteTag(w, tag);
            }

            w.WriteEndArray();
        });
    }

    private Reply BulkTagAssets(Call call)
    {
        var tagIds = call.Body.UuidArray("tagIds", required: true);
        var assetIds = call.Body.UuidArray("assetIds", required: true);
        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        // Like the real server, ids the key may not touch are dropped silently rather than failing the call.
        var tags = tagIds!.Where(id => state.FindTagById(id) is not null).Distinct().ToList(); // non-null: required
        var assets = assetIds!.Where(id => state.FindAsset(id) is { } a && a.OwnerId == call.User.Id).Distinct().ToList();
        var count = 0;
        var changed = new HashSet<Guid>();
        foreach (var tagId in tags)
        {
            foreach (var assetId in assets)
            {
                if (state.LinkTagAsset(tagId, assetId, bumpUpdatedAt: !state.SidecarRace))
                {
                    count++;
                    changed.Add(assetId);
                }
            }
        }

        // After the whole call: one request is one change per asset, however many tags it adds.
        state.TagsChangedLocked(changed);

        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("count", count);
            w.WriteEndObject();
        });
    }

    private Reply TagAssets(Call call) => ChangeTagLinks(call, add: true);

    private Reply UntagAssets(Call call) => ChangeTagLinks(call, add: false);

    private Reply ChangeTagLinks(Call call, bool add)
    {
        var ids = call.Body.UuidArray("ids", required: true);
        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        var tag = state.FindTagById(call.PathId);
        if (tag is null)
        {
            return ErrorReply.NoAccess("tag.asset");
        }

        var results = new List<(Guid, string?)>();
        foreach (var id in ids!) // non-null: required
        {
            string? error;
            if (state.FindAsset(id) is not { } asset || asset.OwnerId != call.User.Id)
            {
                error = "no_permission";
            }
            else if (add)
            {
                error = state.LinkTagAsset(tag.Id, id, bumpUpdatedAt: !state.SidecarRace) ? null : "duplicate";
            }
            else
            {
                error = state.UnlinkTagAsset(tag.Id, id, bumpUpdatedAt: !state.SidecarRace) ? null : "not_found";
            }

            results.Add((id, error));
        }

        state.TagsChangedLocked(results.Where(r => r.Item2 is null).Select(r => r.Item1));
        return BulkIds(results);
    }

    private Reply DeleteTag(Call call)
    {
        if (state.FindTagById(call.PathId) is null)
        {
            return ErrorReply.NoAccess("tag.delete");
        }

        state.DeleteTagLocked(call.PathId);
        return new EmptyReply(StatusCodes.Status204NoContent);
    }

    /// <summary>GET /libraries: every external library (admins see all users' libraries).</summary>
    private Reply GetAllLibraries(Call call) => Json(w =>
    {
        w.WriteStartArray();
        foreach (var library in state.Libraries)
        {
            w.WriteStartObject();
            w.WriteString("id", library.Id);
            w.WriteString("ownerId", library.OwnerId);
            w.WriteString("name", library.Name);
            w.WriteStartArray("importPaths");
            w.WriteStringValue(library.ImportPath);
            w.WriteEndArray();
            w.WriteStartArray("exclusionPatterns");
            w.WriteEndArray();
            w.WriteNumber("assetCount", state.LibraryAssetCountLocked(library.Id));
            w.WriteString("createdAt", FakeJson.Date(library.CreatedAt));
            w.WriteString("updatedAt", FakeJson.Date(library.UpdatedAt));
            if (library.RefreshedAt is { } refreshed)
            {
                w.WriteString("refreshedAt", FakeJson.Date(refreshed));
            }
            else
            {
                w.WriteNull("refreshedAt");
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private Reply GetQueues(Call call) => Json(w =>
    {
        w.WriteStartArray();
        foreach (var name in FakeImmichState.QueueNames)
        {
            WriteQueue(w, name);
        }

        w.WriteEndArray();
    });

    private Reply RunAssetJobs(Call call)
    {
        var ids = call.Body.UuidArray("assetIds", required: true);
        var name = call.Body.Enum("name", "refresh-faces", "refresh-metadata", "regenerate-thumbnail", "transcode-video");
        if (name is null && !call.Body.Has("name"))
        {
            call.Body.Errors.Add("name must be one of the following values: refresh-faces, refresh-metadata, regenerate-thumbnail, transcode-video");
        }

        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        // Immich checks asset.update access to every asset before queueing anything.
        if (ids!.Exists(id => state.FindAsset(id) is not { } asset || asset.OwnerId != call.User.Id)) // non-null: required
        {
            return ErrorReply.NoAccess("asset.update");
        }

        if (name == "refresh-metadata")
        {
            state.QueueMetadataReadsLocked(ids);
        }

        return new EmptyReply(StatusCodes.Status204NoContent);
    }

    private Reply ScanLibrary(Call call)
    {
        if (!state.IsLibraryLocked(call.PathId))
        {
            return ErrorReply.BadRequest("Library not found");
        }

        state.ScanLibraryLocked(call.PathId);
        return new EmptyReply(StatusCodes.Status204NoContent);
    }

    /// <summary>
    /// PUT /jobs/{name} (deprecated since 2.4, still the only way to start a queue's "all assets" job): only the
    /// sidecar queue's start is modelled (discover, or sync with force); Immich answers 400 while the queue is active.
    /// </summary>
    private Reply RunQueueCommand(Call call)
    {
        var command = call.Body.Enum("command", "start", "pause", "resume", "empty", "clear-failed");
        var force = call.Body.Bool("force");
        if (!FakeImmichState.QueueNames.Contains(call.PathName, StringComparer.Ordinal))
        {
            call.Body.Errors.Add($"name must be one of the following values: {string.Join(", ", FakeImmichState.QueueNames)}");
        }

        if (command is null && !call.Body.Has("command"))
        {
            call.Body.Errors.Add("command must be one of the following values: start, pause, resume, empty, clear-failed");
        }

        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        if (call.PathName != "sidecar" || command != "start")
        {
            throw new NotSupportedException($"the fake models only PUT /jobs/sidecar start, not {command} of {call.PathName}");
        }

        if (state.QueueLoadLocked("sidecar").Active > 0)
        {
            return ErrorReply.BadRequest("Job is already running");
        }

        state.StartSidecarQueueLocked(force ?? false);
        return Json(w =>
        {
            var (waiting, active) = state.QueueLoadLocked("sidecar");
            w.WriteStartObject();
            w.WriteStartObject("jobCounts");
            w.WriteNumber("active", active);
            w.WriteNumber("completed", 0);
            w.WriteNumber("delayed", 0);
            w.WriteNumber("failed", 0);
            w.WriteNumber("paused", 0);
            w.WriteNumber("waiting", waiting);
            w.WriteEndObject();
            w.WriteStartObject("queueStatus");
            w.WriteBoolean("isActive", active > 0);
            w.WriteBoolean("isPaused", state.QueuePausedLocked("sidecar"));
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private Reply UpdateQueue(Call call)
    {
        var paused = call.Body.Bool("isPaused");
        if (!FakeImmichState.QueueNames.Contains(call.PathName, StringComparer.Ordinal))
        {
            call.Body.Errors.Add($"name must be one of the following values: {string.Join(", ", FakeImmichState.QueueNames)}");
        }

        if (Invalid(call) is { } invalid)
        {
            return invalid;
        }

        if (paused is { } value)
        {
            state.SetQueuePausedLocked(call.PathName, value);
        }

        return Json(w => WriteQueue(w, call.PathName));
    }

    private void WriteQueue(Utf8JsonWriter w, string name)
    {
        var (waiting, active) = state.QueueLoadLocked(name);
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteBoolean("isPaused", state.QueuePausedLocked(name));
        w.WriteStartObject("statistics");
        w.WriteNumber("active", active);
        w.WriteNumber("completed", 0);
        w.WriteNumber("delayed", 0);
        w.WriteNumber("failed", 0);
        w.WriteNumber("paused", 0);
        w.WriteNumber("waiting", waiting);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private Reply Duplicates(Call call)
    {
        var groups = state.AllAssetsLocked
            .Where(a => a.OwnerId == call.User.Id && !a.IsTrashed && a.DuplicateId is not null)
            .GroupBy(a => a.DuplicateId!.Value) // non-null: filtered above
            .Where(g => g.Count() >= 2)
            .Select(g => (Id: g.Key, Assets: g.OrderBy(a => a.FileCreatedAt).ThenBy(a => a.Id).ToList()))
            .OrderBy(g => g.Id)
            .ToList();
        return Json(w =>
        {
            w.WriteStartArray();
            foreach (var (id, assets) in groups)
            {
                w.WriteStartObject();
                w.WriteString("duplicateId", id);
                w.WriteStartArray("assets");
                foreach (var asset in assets)
                {
                    FakeJson.WriteAsset(w, state, asset, withTags: false);
                }

                w.WriteEndArray();
                w.WriteStartArray("suggestedKeepAssetIds");
                w.WriteStringValue(assets[0].Id);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }
}
