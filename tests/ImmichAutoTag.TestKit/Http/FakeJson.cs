using System.Globalization;
using System.Text.Json;

namespace ImmichAutoTag.TestKit.Http;

/// <summary>Writes Immich's response DTOs by hand: exact property names, nulls where the spec wants them, and fast for 1000-item pages.</summary>
internal static class FakeJson
{
    public static string Date(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Immich serialises wall-clock time as if it were UTC.</summary>
    public static string LocalDate(DateTime wallClock) =>
        wallClock.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static void WriteAsset(Utf8JsonWriter w, FakeImmichState state, FakeAsset a, bool withTags, bool withExif = false)
    {
        w.WriteStartObject();
        w.WriteString("id", a.Id);
        w.WriteString("ownerId", a.OwnerId);
        if (a.LibraryId is { } library)
        {
            w.WriteString("libraryId", library);
        }
        else
        {
            w.WriteNull("libraryId");
        }

        w.WriteString("type", a.Type);
        w.WriteString("originalFileName", a.OriginalFileName);
        w.WriteString("originalPath", a.OriginalPath);
        w.WriteString("originalMimeType", MimeOf(a));
        w.WriteString("checksum", a.Checksum);
        w.WriteString("fileCreatedAt", Date(a.FileCreatedAt));
        w.WriteString("fileModifiedAt", Date(a.FileModifiedAt));
        w.WriteString("localDateTime", LocalDate(a.LocalDateTime));
        w.WriteString("createdAt", Date(a.CreatedAt));
        w.WriteString("updatedAt", Date(a.UpdatedAt));
        if (a.DuplicateId is { } dup)
        {
            w.WriteString("duplicateId", dup);
        }
        else
        {
            w.WriteNull("duplicateId");
        }

        w.WriteBoolean("isTrashed", a.IsTrashed);
        w.WriteBoolean("isFavorite", a.IsFavorite);
        w.WriteBoolean("isArchived", a.Visibility == "archive");
        w.WriteBoolean("isOffline", false);
        w.WriteBoolean("isEdited", false);
        w.WriteString("visibility", a.Visibility);
        w.WriteNumber("width", 4032);
        w.WriteNumber("height", 3024);
        if (a.Type == "VIDEO")
        {
            w.WriteNumber("duration", 12000);
        }
        else
        {
            w.WriteNull("duration");
        }

        w.WriteNull("thumbhash");
        if (a.LivePhotoVideoId is { } video)
        {
            w.WriteString("livePhotoVideoId", video);
        }
        else
        {
            w.WriteNull("livePhotoVideoId");
        }
        w.WriteBoolean("hasMetadata", true);
        w.WriteBoolean("resized", true);
        w.WriteStartArray("people");
        w.WriteEndArray();
        if (withExif)
        {
            WriteExif(w, a);
        }

        if (withTags)
        {
            w.WriteStartArray("tags");
            foreach (var tag in state.DirectTagsLocked(a.Id).OrderBy(t => t.Value, StringComparer.Ordinal))
            {
                WriteTag(w, tag);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteExif(Utf8JsonWriter w, FakeAsset a)
    {
        w.WriteStartObject("exifInfo");
        w.WriteString("dateTimeOriginal", Date(a.FileCreatedAt));
        w.WriteString("modifyDate", Date(a.FileModifiedAt));
        if (a.TimeZone is { } zone)
        {
            w.WriteString("timeZone", zone);
        }
        else
        {
            w.WriteNull("timeZone");
        }

        w.WriteString("description", a.Description ?? "");
        w.WriteNumber("exifImageWidth", 4032);
        w.WriteNumber("exifImageHeight", 3024);
        w.WriteNumber("fileSizeInByte", a.FileSizeInByte);
        foreach (var (name, value) in (ReadOnlySpan<(string, string?)>)[("make", a.CameraMake), ("model", a.CameraModel)])
        {
            if (value is null)
            {
                w.WriteNull(name);
            }
            else
            {
                w.WriteString(name, value);
            }
        }

        foreach (var name in (string[])["lensModel", "city", "state", "country", "orientation", "projectionType", "exposureTime"])
        {
            w.WriteNull(name);
        }

        foreach (var name in (string[])["fNumber", "focalLength", "iso", "latitude", "longitude", "rating"])
        {
            w.WriteNull(name);
        }

        w.WriteEndObject();
    }

    public static void WriteTag(Utf8JsonWriter w, FakeTag t)
    {
        w.WriteStartObject();
        w.WriteString("id", t.Id);
        w.WriteString("name", t.Name);
        w.WriteString("value", t.Value);
        if (t.ParentId is { } parent)
        {
            w.WriteString("parentId", parent);
        }

        if (t.Color is { } color)
        {
            w.WriteString("color", color);
        }

        w.WriteString("createdAt", Date(t.CreatedAt));
        w.WriteString("updatedAt", Date(t.UpdatedAt));
        w.WriteEndObject();
    }

    public static void WriteUser(Utf8JsonWriter w, FakeUser u)
    {
        w.WriteStartObject();
        w.WriteString("id", u.Id);
        w.WriteString("name", u.Name);
        w.WriteString("email", u.Email);
        w.WriteString("avatarColor", "primary");
        w.WriteString("profileImagePath", "");
        w.WriteString("profileChangedAt", Date(u.CreatedAt));
        w.WriteEndObject();
    }

    public static void WriteUserAdmin(Utf8JsonWriter w, FakeUser u, long quotaUsageInBytes)
    {
        w.WriteStartObject();
        w.WriteString("id", u.Id);
        w.WriteString("name", u.Name);
        w.WriteString("email", u.Email);
        w.WriteString("avatarColor", "primary");
        w.WriteString("profileImagePath", "");
        w.WriteString("profileChangedAt", Date(u.CreatedAt));
        w.WriteString("createdAt", Date(u.CreatedAt));
        w.WriteString("updatedAt", Date(u.CreatedAt));
        w.WriteNull("deletedAt");
        w.WriteBoolean("isAdmin", u.IsAdmin);
        w.WriteNull("license");
        w.WriteString("oauthId", "");
        w.WriteNull("quotaSizeInBytes");
        w.WriteNumber("quotaUsageInBytes", quotaUsageInBytes);
        w.WriteBoolean("shouldChangePassword", false);
        w.WriteString("status", "active");
        if (u.IsAdmin)
        {
            w.WriteString("storageLabel", "admin");
        }
        else
        {
            w.WriteNull("storageLabel");
        }

        w.WriteEndObject();
    }

    public static void WriteAlbum(Utf8JsonWriter w, FakeImmichState state, FakeAlbum album, Guid authUserId)
    {
        var assets = state.AlbumAssetsLocked(album.Id)
            .Select(state.FindAsset)
            .OfType<FakeAsset>()
            .Where(a => !a.IsTrashed)
            .ToList();
        w.WriteStartObject();
        w.WriteString("id", album.Id);
        w.WriteString("albumName", album.Name);
        w.WriteString("description", album.Description);
        if (assets.Count > 0)
        {
            var first = assets.Min(a => a.FileCreatedAt);
            var last = assets.Max(a => a.FileCreatedAt);
            w.WriteString("albumThumbnailAssetId", assets.MinBy(a => a.FileCreatedAt)!.Id); // non-null: Count > 0
            w.WriteString("startDate", Date(first));
            w.WriteString("endDate", Date(last));
            w.WriteString("lastModifiedAssetTimestamp", Date(assets.Max(a => a.UpdatedAt)));
        }
        else
        {
            w.WriteNull("albumThumbnailAssetId");
        }

        w.WriteNumber("assetCount", assets.Count);
        w.WriteStartArray("albumUsers");
        WriteAlbumUser(w, state.FindUser(album.OwnerId), "owner");
        var others = album.SharedWith
            .Select(kv => (User: state.FindUser(kv.Key), Role: kv.Value))
            .Where(x => x.User is not null)
            .OrderBy(x => x.User!.Id == authUserId ? 0 : 1) // non-null: filtered above
            .ThenBy(x => x.User!.Name, StringComparer.Ordinal);
        foreach (var (user, role) in others)
        {
            WriteAlbumUser(w, user, role);
        }

        w.WriteEndArray();
        w.WriteBoolean("shared", album.SharedWith.Count > 0);
        w.WriteBoolean("hasSharedLink", false);
        w.WriteBoolean("isActivityEnabled", true);
        w.WriteString("order", "desc");
        w.WriteString("createdAt", Date(album.CreatedAt));
        w.WriteString("updatedAt", Date(album.UpdatedAt));
        w.WriteEndObject();
    }

    private static void WriteAlbumUser(Utf8JsonWriter w, FakeUser? user, string role)
    {
        if (user is null)
        {
            return;
        }

        w.WriteStartObject();
        w.WritePropertyName("user");
        WriteUser(w, user);
        w.WriteString("role", role);
        w.WriteEndObject();
    }

    public static void WriteBulkId(Utf8JsonWriter w, Guid id, string? error)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteBoolean("success", error is null);
        if (error is not null)
        {
            w.WriteString("error", error);
        }

        w.WriteEndObject();
    }

    private static string MimeOf(FakeAsset a)
    {
        var ext = Path.GetExtension(a.OriginalFileName).ToUpperInvariant();
        return ext switch
        {
            ".JPG" or ".JPEG" => "image/jpeg",
            ".PNG" => "image/png",
            ".HEIC" => "image/heic",
            ".WEBP" => "image/webp",
            ".MP4" => "video/mp4",
            ".MOV" => "video/quicktime",
            _ => a.Type == "VIDEO" ? "video/mp4" : "image/jpeg",
        };
    }
}
