using System.ComponentModel.DataAnnotations;
using System.Net.Http.Headers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich.Http;
using Dto = ImmichAutoTag.Immich.Generated;

namespace ImmichAutoTag.Immich;

// The asset walk: read page by page, item by item, so one asset the client cannot read never hides the others.
public sealed partial class ImmichGateway
{
    /// <summary>
    /// The <c>required</c> list of AssetResponseDto in openapi/immich-autotag.openapi.json (a test keeps them
    /// equal). NSwag marks only some of them, and System.Text.Json checks none: a missing boolean or date would
    /// silently read as false or year 1.
    /// </summary>
    internal static readonly IReadOnlyList<string> RequiredAssetFieldNames =
    [
        "checksum", "createdAt", "duration", "fileCreatedAt", "fileModifiedAt", "hasMetadata", "height", "id",
        "isArchived", "isEdited", "isFavorite", "isOffline", "isTrashed", "localDateTime", "originalFileName",
        "originalPath", "ownerId", "thumbhash", "type", "updatedAt", "visibility", "width",
    ];

    private static readonly IReadOnlyList<(string Json, PropertyInfo? Property)> RequiredAssetFields = RequiredAssetFieldNames
        .Select(name => (name, typeof(Dto.AssetResponseDto).GetProperties().FirstOrDefault(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name == name)))
        .ToList();

    /// <summary>Enum-typed properties: System.Text.Json also accepts a number there, which would name no member.</summary>
    private static readonly IReadOnlyList<(string Json, PropertyInfo Property)> EnumAssetFields = typeof(Dto.AssetResponseDto)
        .GetProperties()
        .Where(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType).IsEnum)
        .Select(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name, p))
        .ToList();

    public async IAsyncEnumerable<AssetPage> SearchAssetsAsync(AssetQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, 1000, nameof(query));

        int? page = 1;
        while (page is { } current)
        {
            var body = ToSearchDto(query, current);
            var (assets, unreadable, nextPage) = await CallAsync("searchAssets", t => SearchPageAsync(body, t), ct).ConfigureAwait(false);
            if (assets.Count > 0 || unreadable.Count > 0)
            {
                yield return new AssetPage(assets, unreadable);
            }

            page = NextPage(nextPage, current);
        }
    }

    /// <summary>
    /// POST /search/metadata, like the generated method, but the items are read one at a time: the page's
    /// envelope must be readable, an item need not be.
    /// </summary>
    private async Task<(List<Asset> Assets, List<UnreadableAsset> Unreadable, string? NextPage)> SearchPageAsync(Dto.MetadataSearchDto body, CancellationToken ct)
    {
        var options = _client.SerializerOptions;
        using var request = new HttpRequestMessage(HttpMethod.Post, "search/metadata")
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, options)),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/json"));

        // The handlers (retries, permission names, request counts) know an operation by this option alone.
        request.Options.Set(ImmichOperations.OperationIdOption, "searchAssets");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (status is not (200 or 201))
        {
            throw new Dto.ImmichClientException("The HTTP status code of the response was not expected (" + status + ").", status, text, new Dictionary<string, IEnumerable<string>>(), null);
        }

        JsonElement items;
        string? nextPage;
        try
        {
            using var doc = JsonDocument.Parse(text);
            var assets = doc.RootElement.GetProperty("assets");
            items = assets.GetProperty("items").Clone();
            var next = assets.TryGetProperty("nextPage", out var n) ? n : default;
            nextPage = next.ValueKind switch
            {
                JsonValueKind.String => next.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => throw new JsonException("$.assets.nextPage is not a string"),
            };
            if (items.ValueKind != JsonValueKind.Array)
            {
                throw new JsonException("$.assets.items is not an array");
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new Dto.ImmichClientException("Could not deserialize the response body.", status, text, new Dictionary<string, IEnumerable<string>>(), ex);
        }

        var read = new List<Asset>(items.GetArrayLength());
        var unreadable = new List<UnreadableAsset>();
        foreach (var item in items.EnumerateArray())
        {
            if (TryReadAsset(item, options, out var asset, out var problem))
            {
                read.Add(asset);
            }
            else
            {
                unreadable.Add(problem);
            }
        }

        return (read, unreadable, nextPage);
    }

    /// <summary>Reads one search item; on failure says which field could not be read and why.</summary>
    internal static bool TryReadAsset(JsonElement item, JsonSerializerOptions options, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Asset? asset, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out UnreadableAsset? problem)
    {
        asset = null;
        problem = null;
        Guid? id = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var idNode) && idNode.ValueKind == JsonValueKind.String && Guid.TryParse(idNode.GetString(), out var parsed) ? parsed : null;
        var fileName = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("originalFileName", out var nameNode) && nameNode.ValueKind == JsonValueKind.String ? nameNode.GetString() : null;
        string? reason = null;
        if (item.ValueKind != JsonValueKind.Object)
        {
            reason = $"the item is a JSON {item.ValueKind}, not an object";
        }
        else
        {
            // System.Text.Json ignores [Required]: a missing value type would silently read as its default (year 1).
            var missing = RequiredAssetFields.FirstOrDefault(f => !item.TryGetProperty(f.Json, out _));
            if (missing.Json is not null)
            {
                reason = $"$.{missing.Json} is missing";
            }
        }

        if (reason is null)
        {
            try
            {
                var dto = item.Deserialize<Dto.AssetResponseDto>(options);
                if (dto is null)
                {
                    reason = "the item is null";
                }
                else
                {
                    var results = new List<ValidationResult>();
                    if (!Validator.TryValidateObject(dto, new ValidationContext(dto), results, validateAllProperties: true))
                    {
                        var first = results[0];
                        var member = first.MemberNames.FirstOrDefault();
                        var json = RequiredAssetFields.FirstOrDefault(f => f.Property?.Name == member).Json
                            ?? typeof(Dto.AssetResponseDto).GetProperty(member ?? "")?.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                            ?? member;
                        reason = $"$.{json}: {first.ErrorMessage}";
                    }
                    else if (EnumAssetFields.FirstOrDefault(f => f.Property.GetValue(dto) is { } value && !Enum.IsDefined(value.GetType(), value)) is { Json: not null } unknown)
                    {
                        reason = $"$.{unknown.Json}: {unknown.Property.GetValue(dto)} is not one of its values";
                    }
                    else
                    {
                        asset = Map(dto);
                        return true;
                    }
                }
            }
            catch (JsonException ex)
            {
                reason = ex.Path is { Length: > 0 } path ? $"{path}: {FirstLine(ex.Message)}" : FirstLine(ex.Message);
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException or OverflowException or NullReferenceException)
            {
                reason = FirstLine(ex.Message);
            }
        }

        problem = new UnreadableAsset(id, fileName, reason);
        return false;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
