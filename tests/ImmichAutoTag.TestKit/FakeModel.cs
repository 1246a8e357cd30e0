namespace ImmichAutoTag.TestKit;

public sealed class FakeUser
{
    internal FakeUser(Guid id, string name, string email, DateTimeOffset createdAt, bool isAdmin)
    {
        Id = id;
        Name = name;
        Email = email;
        CreatedAt = createdAt;
        IsAdmin = isAdmin;
    }

    /// <summary>Admins may call the admin-only operations (x-immich-admin-only), e.g. the queue endpoints.</summary>
    public bool IsAdmin { get; }

    public Guid Id { get; }
    public string Name { get; }
    public string Email { get; }
    public DateTimeOffset CreatedAt { get; }
}

public sealed class FakeApiKey
{
    internal FakeApiKey(Guid id, Guid userId, string secret, IReadOnlyList<string> permissions, DateTimeOffset createdAt)
    {
        Id = id;
        UserId = userId;
        Secret = secret;
        Permissions = permissions;
        CreatedAt = createdAt;
    }

    public Guid Id { get; }
    public Guid UserId { get; }
    public string Secret { get; }
    public IReadOnlyList<string> Permissions { get; }
    public DateTimeOffset CreatedAt { get; }

    public bool Grants(string permission) =>
        Permissions.Contains("all", StringComparer.Ordinal) || Permissions.Contains(permission, StringComparer.Ordinal);
}

/// <summary>A live view of an asset in the fake; values change as the fake is written to.</summary>
public sealed class FakeAsset
{
    /// <summary>
    /// The thumbnail's colour (sRGB); null: one derived from the id. The fake serves a real image of it: WebP for
    /// <c>size=thumbnail</c>, JPEG for the larger sizes (see <see cref="FakeThumbnails"/>).
    /// </summary>
    public (byte R, byte G, byte B)? ThumbnailColour { get; set; }

    /// <summary>
    /// The exact bytes served for <c>size=thumbnail</c> (WebP, as Immich's); null: the picture of
    /// <see cref="ThumbnailColour"/>. The benchmark serves textured thumbnails with it, whose decoding costs what a
    /// photo's does.
    /// </summary>
    public byte[]? ThumbnailBytes { get; set; }

    /// <summary>
    /// The original file's bytes (<c>GET /assets/{id}/original</c>); null: 4 KiB derived from the id, so each asset's
    /// original, and its MD5, differ.
    /// </summary>
    public byte[]? OriginalBytes { get; set; }

    /// <summary>The bytes the fake serves as the original (see <see cref="OriginalBytes"/>).</summary>
    public byte[] Original() => OriginalBytes ?? DefaultOriginal(Id);

    private static byte[] DefaultOriginal(Guid id)
    {
        var seed = id.ToByteArray();
        var bytes = new byte[4096];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(seed[i % seed.Length] ^ (i * 31));
        }

        return bytes;
    }

    internal FakeAsset(Guid id, Guid ownerId)
    {
        Id = id;
        OwnerId = ownerId;
    }

    public Guid Id { get; }
    public Guid OwnerId { get; }
    public string OriginalFileName { get; internal set; } = "";
    public string OriginalPath { get; internal set; } = "";
    public string Type { get; internal set; } = "IMAGE";
    public string Visibility { get; internal set; } = "timeline";

    /// <summary>The capture instant (always UTC).</summary>
    public DateTimeOffset FileCreatedAt { get; internal set; }

    /// <summary>Wall-clock capture time; Immich serialises it with a fake 'Z'.</summary>
    public DateTime LocalDateTime { get; internal set; }

    public DateTimeOffset FileModifiedAt { get; internal set; }
    public DateTimeOffset CreatedAt { get; internal set; }
    public DateTimeOffset UpdatedAt { get; internal set; }
    public DateTimeOffset? DeletedAt { get; internal set; }
    public bool IsTrashed => DeletedAt is not null;
    public bool IsFavorite { get; internal set; }
    public Guid? DuplicateId { get; internal set; }
    public string? Description { get; internal set; }
    public string Checksum { get; internal set; } = "";
    public string? TimeZone { get; internal set; }

    /// <summary>EXIF Make as Immich stores it (exifInfo.make); null when the file has none.</summary>
    public string? CameraMake { get; internal set; }

    /// <summary>EXIF Model as Immich stores it (exifInfo.model); null when the file has none.</summary>
    public string? CameraModel { get; internal set; }

    /// <summary>Size of the original file in bytes (exifInfo.fileSizeInByte); counts towards the owner's quotaUsageInBytes.</summary>
    public long FileSizeInByte { get; internal set; }

    /// <summary>On the still of a Live/Motion Photo: the hidden video half (Immich's <c>livePhotoVideoId</c>).</summary>
    public Guid? LivePhotoVideoId { get; internal set; }

    /// <summary>The external library the asset was imported from (Immich's <c>libraryId</c>); null for an upload.</summary>
    public Guid? LibraryId { get; internal set; }
}

/// <summary>An external library (Immich's <c>LibraryResponseDto</c>), plus how its import path is mounted.</summary>
public sealed class FakeLibrary
{
    internal FakeLibrary(Guid id, Guid ownerId, string name, string importPath, bool readOnly, DateTimeOffset createdAt)
    {
        Id = id;
        OwnerId = ownerId;
        Name = name;
        ImportPath = importPath;
        ReadOnly = readOnly;
        CreatedAt = createdAt;
        UpdatedAt = createdAt;
    }

    public Guid Id { get; }
    public Guid OwnerId { get; }
    public string Name { get; }
    public string ImportPath { get; }

    /// <summary>Mounted read-only: Immich cannot write sidecars there (not part of the API; the server only fails to write).</summary>
    public bool ReadOnly { get; internal set; }

    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset UpdatedAt { get; }
    public DateTimeOffset? RefreshedAt { get; internal set; }

    /// <summary>The test's folder holding the library's files (Immich reads its sidecars there); null: not mounted.</summary>
    public string? LocalFolder { get; internal set; }
}

public sealed class FakeAlbum
{
    internal FakeAlbum(Guid id, Guid ownerId, string name, DateTimeOffset createdAt)
    {
        Id = id;
        OwnerId = ownerId;
        Name = name;
        CreatedAt = createdAt;
        UpdatedAt = createdAt;
    }

    public Guid Id { get; }
    public Guid OwnerId { get; }
    public string Name { get; internal set; }
    public string Description { get; internal set; } = "";
    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset UpdatedAt { get; internal set; }

    /// <summary>Users (other than the owner) the album is shared with, and their role.</summary>
    internal Dictionary<Guid, string> SharedWith { get; } = [];
}

public sealed class FakeTag
{
    internal FakeTag(Guid id, string name, string value, Guid? parentId, DateTimeOffset createdAt)
    {
        Id = id;
        Name = name;
        Value = value;
        ParentId = parentId;
        CreatedAt = createdAt;
        UpdatedAt = createdAt;
    }

    public Guid Id { get; }

    /// <summary>The last path segment.</summary>
    public string Name { get; }

    /// <summary>The full path, segments joined by '/'.</summary>
    public string Value { get; }

    public Guid? ParentId { get; }
    public string? Color { get; internal set; }
    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset UpdatedAt { get; internal set; }
}
