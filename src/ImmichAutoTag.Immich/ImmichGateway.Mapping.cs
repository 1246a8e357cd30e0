using System.Globalization;
using System.Reflection;
using System.Runtime.Serialization;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using Dto = ImmichAutoTag.Immich.Generated;

namespace ImmichAutoTag.Immich;

// DTO ↔ domain mapping, kept private so generated types never cross the gateway's public surface.
public sealed partial class ImmichGateway
{
    private static ServerVersion Map(Dto.ServerVersionResponseDto dto) =>
        new(dto.Major, dto.Minor, dto.Patch, dto.Prerelease?.ToString(CultureInfo.InvariantCulture));

    private static ServerFeatures Map(Dto.ServerFeaturesDto dto) =>
        new(dto.DuplicateDetection, dto.SmartSearch, dto.Trash, dto.Sidecar, dto.Search);

    private static UserInfo Map(Dto.UserAdminResponseDto dto) => new(dto.Id, dto.Name, dto.Email);

    private static ApiKeyInfo Map(Dto.ApiKeyResponseDto dto) =>
        new(dto.Id, dto.Name, dto.Permissions.Select(SpecName).ToList());

    private static Asset Map(Dto.AssetResponseDto dto) => new(
        dto.Id,
        dto.OwnerId,
        Map(dto.Type),
        dto.OriginalFileName,
        dto.OriginalPath,
        dto.FileCreatedAt,
        dto.LocalDateTime,
        dto.UpdatedAt,
        dto.DuplicateId,
        dto.IsTrashed,
        dto.IsArchived,
        dto.IsFavorite,
        Map(dto.Visibility))
    {
        // The spec gives no uuid format for it; an id that does not parse links no motion part.
        LivePhotoVideoId = Guid.TryParse(dto.LivePhotoVideoId, out var video) ? video : null,
        LibraryId = dto.LibraryId,
        Checksum = dto.Checksum,
        UploadedAt = dto.CreatedAt,
        CameraMake = dto.ExifInfo?.Make,
        CameraModel = dto.ExifInfo?.Model,
    };

    private static AssetDetail MapDetail(Dto.AssetResponseDto dto) =>
        new(Map(dto), (dto.Tags ?? []).Select(Map).ToList());

    private static Album Map(Dto.AlbumResponseDto dto)
    {
        // Immich 3 dropped ownerId from albums; the owner is listed among the album's users.
        var owner = (dto.AlbumUsers ?? []).FirstOrDefault(u => u.Role == Dto.AlbumUserRole.Owner);
        var members = (dto.AlbumUsers ?? [])
            .Where(u => u.Role != Dto.AlbumUserRole.Owner && u.User is not null)
            .Select(u => new AlbumMember(u.User.Id, u.User.Email, u.Role == Dto.AlbumUserRole.Editor ? AlbumRole.Editor : AlbumRole.Viewer))
            .ToList();
        return new Album(dto.Id, dto.AlbumName, dto.AssetCount, owner?.User?.Id, dto.Shared) { Members = members };
    }

    private static UserInfo Map(Dto.UserResponseDto dto) => new(dto.Id, dto.Name, dto.Email);

    private static Dto.AlbumUserRole Map(AlbumRole role) => role == AlbumRole.Editor ? Dto.AlbumUserRole.Editor : Dto.AlbumUserRole.Viewer;

    private static Tag Map(Dto.TagResponseDto dto) =>
        new(dto.Id, dto.Name, dto.Value, Guid.TryParse(dto.ParentId, out var parent) ? parent : null);

    private static DuplicateGroup Map(Dto.DuplicateResponseDto dto) =>
        new(dto.DuplicateId, dto.Assets.Select(Map).ToList());

    private static QueueStatus Map(Dto.QueueResponseDto dto) =>
        new(QueueNameOf(dto.Name), dto.IsPaused, dto.Statistics.Active, dto.Statistics.Waiting, dto.Statistics.Delayed);

    /// <summary>Every QueueName in the spec is one camelCase word group, so the member name gives the wire name.</summary>
    private static string QueueNameOf(Dto.QueueName name)
    {
        var text = name.ToString();
        return char.ToLowerInvariant(text[0]) + text[1..];
    }

    private static Dto.QueueName ParseQueueName(string name) =>
        Enum.TryParse<Dto.QueueName>(name, ignoreCase: true, out var parsed) && string.Equals(QueueNameOf(parsed), name, StringComparison.Ordinal)
            ? parsed
            : throw new ArgumentException($"'{name}' is not an Immich queue name.", nameof(name));

    private static List<BulkIdResult> Map(ICollection<Dto.BulkIdResponseDto> results) =>
        results.Select(r => new BulkIdResult(r.Id, r.Success, r.ErrorMessage ?? (r.Error is { } e ? SpecName(e) : null))).ToList();

    private static AssetType Map(Dto.AssetTypeEnum type) => type switch
    {
        Dto.AssetTypeEnum.IMAGE => AssetType.Image,
        Dto.AssetTypeEnum.VIDEO => AssetType.Video,
        Dto.AssetTypeEnum.AUDIO => AssetType.Audio,
        _ => AssetType.Other,
    };

    private static Dto.AssetTypeEnum Map(AssetType type) => type switch
    {
        AssetType.Image => Dto.AssetTypeEnum.IMAGE,
        AssetType.Video => Dto.AssetTypeEnum.VIDEO,
        AssetType.Audio => Dto.AssetTypeEnum.AUDIO,
        _ => Dto.AssetTypeEnum.OTHER,
    };

    private static AssetVisibility Map(Dto.AssetVisibility visibility) => visibility switch
    {
        Dto.AssetVisibility.Archive => AssetVisibility.Archive,
        Dto.AssetVisibility.Hidden => AssetVisibility.Hidden,
        Dto.AssetVisibility.Locked => AssetVisibility.Locked,
        _ => AssetVisibility.Timeline,
    };

    private static Dto.AssetVisibility Map(AssetVisibility visibility) => visibility switch
    {
        AssetVisibility.Archive => Dto.AssetVisibility.Archive,
        AssetVisibility.Hidden => Dto.AssetVisibility.Hidden,
        AssetVisibility.Locked => Dto.AssetVisibility.Locked,
        _ => Dto.AssetVisibility.Timeline,
    };

    private static Dto.MetadataSearchDto ToSearchDto(AssetQuery query, int page) => new()
    {
        Page = page,
        Size = query.PageSize,
        AlbumIds = NullIfEmpty(query.AlbumIds),
        TagIds = NullIfEmpty(query.TagIds),
        UpdatedAfter = query.UpdatedAfter,
        UpdatedBefore = query.UpdatedBefore,
        Type = query.Type is { } type ? Map(type) : null,
        Visibility = query.Visibility is { } visibility ? Map(visibility) : null,
        WithDeleted = query.WithDeleted ? true : null,
        WithExif = query.WithExif ? true : null,
    };

    private static Dto.BulkIdsDto Ids(IReadOnlyList<Guid> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return new Dto.BulkIdsDto { Ids = ids.ToList() };
    }

    private static List<Guid>? NullIfEmpty(IReadOnlyList<Guid> ids) => ids.Count == 0 ? null : ids.ToList();

    internal static Dto.AssetMediaSize ParseMediaSize(string size)
    {
        foreach (var value in Enum.GetValues<Dto.AssetMediaSize>())
        {
            if (string.Equals(SpecName(value), size, StringComparison.Ordinal))
            {
                return value;
            }
        }

        throw new ArgumentException($"Unknown thumbnail size '{size}': use thumbnail, preview, fullsize or original.", nameof(size));
    }

    /// <summary>The spelling the spec uses for an enum value (the generated enums carry it as [EnumMember]).</summary>
    internal static string SpecName<TEnum>(TEnum value)
        where TEnum : struct, Enum
    {
        var name = value.ToString();
        return typeof(TEnum).GetField(name)?.GetCustomAttribute<EnumMemberAttribute>()?.Value ?? name;
    }
}
