using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Net.Http.Headers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
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
    private static readonly (string Json, PropertyInfo Property)[] EnumAssetFields = typeof(Dto.AssetResponseDto)
        .GetProperties()
        .Where(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType).IsEnum)
        .Select(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name, p))
        .ToArray();

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

    /// <inheritdoc/>
    public async IAsyncEnumerable<IReadOnlyList<Guid>> SearchAssetIdsAsync(AssetQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, 1000, nameof(query));

        int? page = 1;
        while (page is { } current)
        {
            var body = ToSearchDto(query, current);
            var (ids, nextPage) = await CallAsync("searchAssets", t => SearchPageAsync(body, ReadSearchIdPage, t), ct).ConfigureAwait(false);
            if (ids.Count > 0)
            {
                yield return ids;
            }

            page = NextPage(nextPage, current);
        }
    }

    private Task<(List<Asset> Assets, List<UnreadableAsset> Unreadable, string? NextPage)> SearchPageAsync(Dto.MetadataSearchDto body, CancellationToken ct) =>
        SearchPageAsync(body, (json, status) => ReadSearchPage(json, _client.SerializerOptions, status), ct);

    /// <summary>
    /// POST /search/metadata, like the generated method, but the items are read one at a time: the page's
    /// envelope must be readable, an item need not be.
    /// </summary>
    private async Task<T> SearchPageAsync<T>(Dto.MetadataSearchDto body, Func<ReadOnlyMemory<byte>, int, T> read, CancellationToken ct)
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
        if (status is not (200 or 201))
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new Dto.ImmichClientException("The HTTP status code of the response was not expected (" + status + ").", status, text, new Dictionary<string, IEnumerable<string>>(), null);
        }

        // A page of 1000 assets is about 250 KB and a run reads hundreds: the body goes into a pooled buffer and
        // is read in place, never as a string or a document tree (docs/performance.md).
        var (buffer, length) = await ReadBodyAsync(response.Content, ct).ConfigureAwait(false);
        try
        {
            return read(buffer.AsMemory(0, length), status);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The whole response body in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; the caller returns it.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpContent content, CancellationToken ct)
    {
        var expected = content.Headers.ContentLength is { } declared and > 0 and < int.MaxValue - 1 ? (int)declared + 1 : 64 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(expected);
        var length = 0;
        try
        {
            var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(checked(buffer.Length * 2));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    var read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return (buffer, length);
                    }

                    length += read;
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Reads a search page's envelope, then each item on its own (<see cref="TryReadAsset(ReadOnlyMemory{byte}, JsonSerializerOptions, out Asset?, out UnreadableAsset?)"/>).</summary>
    internal static (List<Asset> Assets, List<UnreadableAsset> Unreadable, string? NextPage) ReadSearchPage(ReadOnlyMemory<byte> json, JsonSerializerOptions options, int status)
    {
        var (document, items, nextPage) = ReadEnvelopeOrThrow(json, status);

        var read = new List<Asset>(items.Count);
        var unreadable = new List<UnreadableAsset>();
        foreach (var range in items)
        {
            if (TryReadAsset(document[range], options, out var asset, out var problem))
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

    /// <summary>
    /// The page without a leading UTF-8 byte order mark (allowed, as JsonDocument.Parse allows it), the byte range of
    /// each item and <c>assets.nextPage</c>. An unreadable envelope throws <see cref="Dto.ImmichClientException"/> with
    /// <paramref name="status"/> and the body, as the generated client does for any body it cannot read.
    /// </summary>
    /// <param name="ids">Not null: the items' ids go there (<see cref="ReadItemId"/>) and no item range is returned.</param>
    private static (ReadOnlyMemory<byte> Document, List<Range> Items, string? NextPage) ReadEnvelopeOrThrow(ReadOnlyMemory<byte> json, int status, List<Guid>? ids = null)
    {
        var document = json.Span.StartsWith(Utf8ByteOrderMark) ? json[Utf8ByteOrderMark.Length..] : json;
        try
        {
            var (items, nextPage) = ReadEnvelope(document.Span, ids);
            return (document, items, nextPage);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new Dto.ImmichClientException("Could not deserialize the response body.", status, Encoding.UTF8.GetString(document.Span), new Dictionary<string, IEnumerable<string>>(), ex);
        }
    }

    /// <summary>
    /// Reads a search page's envelope like <see cref="ReadSearchPage"/>, but of each item only its <c>id</c>: the
    /// ids of the items <see cref="ReadSearchPage"/> reads, and of those it lists as unreadable with an id.
    /// </summary>
    internal static (List<Guid> Ids, string? NextPage) ReadSearchIdPage(ReadOnlyMemory<byte> json, int status)
    {
        // Each item's id is taken while the envelope is walked: a membership page is read once, not once for the
        // envelope and again per item (a workflow tag on most of a large library is read that way on every run).
        var ids = new List<Guid>();
        var (_, _, nextPage) = ReadEnvelopeOrThrow(json, status, ids);
        return (ids, nextPage);
    }

    /// <summary>
    /// The top-level <c>id</c> of the item the reader stands on, as the thorough reader takes it for an unreadable
    /// item (the last one where the name repeats, any form <see cref="Guid.TryParse(string?, out Guid)"/> accepts);
    /// null if there is none. Reads the whole item: the reader is left on its last token.
    /// </summary>
    private static Guid? ReadItemId(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        Guid? id = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (!isId || reader.TokenType != JsonTokenType.String)
            {
                id = isId ? null : id;
                reader.Skip();
                continue;
            }

            id = reader.TryGetGuid(out var guid) ? guid
                : Guid.TryParse(reader.GetString(), out var parsed) ? parsed
                : null;
        }

        return id;
    }

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Walks <c>{"assets": {"items": [...], "nextPage": ...}}</c> with a forward-only reader, checking the whole
    /// document is well-formed JSON, and returns where each item lies. Where a name repeats, the last one counts,
    /// as with <see cref="JsonElement.GetProperty(string)"/>.
    /// </summary>
    /// <param name="ids">Not null: each item's id is read in the same pass and added there, instead of the item's range.</param>
    private static (List<Range> Items, string? NextPage) ReadEnvelope(ReadOnlySpan<byte> json, List<Guid>? ids)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            throw new InvalidOperationException("The response body is not a JSON object.");
        }

        List<Range>? items = null;
        string? nextPage = null;
        var sawAssets = false;
        string? problem = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("assets"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                problem = "$.assets is not an object";
                continue;
            }

            (sawAssets, items, nextPage, problem) = (true, null, null, null);
            ids?.Clear();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("items"u8))
                {
                    reader.Read();
                    items = [];
                    ids?.Clear();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        problem = "$.assets.items is not an array";
                        continue;
                    }

                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (ids is not null)
                        {
                            if (ReadItemId(ref reader) is { } id)
                            {
                                ids.Add(id);
                            }

                            continue;
                        }

                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        items.Add(start..(int)reader.BytesConsumed);
                    }
                }
                else if (reader.ValueTextEquals("nextPage"u8))
                {
                    reader.Read();
                    nextPage = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.Null => null,
                        _ => throw new JsonException("$.assets.nextPage is not a string"),
                    };
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }

        // Anything after the document is an error, as it is to JsonDocument.Parse.
        while (reader.Read())
        {
        }

        if (!sawAssets && problem is null)
        {
            throw new KeyNotFoundException("$.assets is missing");
        }

        return problem is not null ? throw new JsonException(problem)
            : items is null ? throw new KeyNotFoundException("$.assets.items is missing")
            : (items, nextPage);
    }

    /// <summary>
    /// Reads one search item in place. Most items are well-formed, and are read without building a document or
    /// reflecting over the DTO; any item that fails a check is read again by the thorough reader, which says why.
    /// </summary>
    internal static bool TryReadAsset(ReadOnlyMemory<byte> item, JsonSerializerOptions options, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Asset? asset, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out UnreadableAsset? problem)
    {
        problem = null;
        if (TryReadWellFormedAsset(item.Span, options, out asset))
        {
            return true;
        }

        using var document = JsonDocument.Parse(item);
        return TryReadAsset(document.RootElement, options, out asset, out problem);
    }

    /// <summary>
    /// The fast path of <see cref="TryReadAsset(JsonElement, JsonSerializerOptions, out Asset?, out UnreadableAsset?)"/>:
    /// true only where that method would read the item too (every required field present, the DTO deserializes,
    /// its validation attributes and enum values hold), false for anything else.
    /// </summary>
    private static bool TryReadWellFormedAsset(ReadOnlySpan<byte> item, JsonSerializerOptions options, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Asset? asset)
    {
        asset = null;
        if (item.IsEmpty || item[0] != (byte)'{' || !HasRequiredFields(item))
        {
            return false;
        }

        try
        {
            if (JsonSerializer.Deserialize<Dto.AssetResponseDto>(item, options) is not { } dto || !AssetValidation.Holds(dto))
            {
                return false;
            }

            foreach (var defined in EnumChecks)
            {
                if (!defined(dto))
                {
                    return false;
                }
            }

            asset = Map(dto);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException or OverflowException or NullReferenceException)
        {
            return false;
        }
    }

    /// <summary>
    /// Per enum-typed property: whether its value names a member. Typed delegates, because reading the value
    /// through reflection boxes it, twice per item of every page.
    /// </summary>
    private static readonly Func<Dto.AssetResponseDto, bool>[] EnumChecks = EnumAssetFields
        .Select(f => (Func<Dto.AssetResponseDto, bool>)typeof(ImmichGateway)
            .GetMethod(Nullable.GetUnderlyingType(f.Property.PropertyType) is null ? nameof(EnumCheck) : nameof(NullableEnumCheck), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(Nullable.GetUnderlyingType(f.Property.PropertyType) ?? f.Property.PropertyType)
            .Invoke(null, [f.Property])!)
        .ToArray();

    private static Func<Dto.AssetResponseDto, bool> EnumCheck<TEnum>(PropertyInfo property)
        where TEnum : struct, Enum
    {
        var get = property.GetMethod!.CreateDelegate<Func<Dto.AssetResponseDto, TEnum>>();
        return dto => Enum.IsDefined(get(dto));
    }

    private static Func<Dto.AssetResponseDto, bool> NullableEnumCheck<TEnum>(PropertyInfo property)
        where TEnum : struct, Enum
    {
        var get = property.GetMethod!.CreateDelegate<Func<Dto.AssetResponseDto, TEnum?>>();
        return dto => get(dto) is not { } value || Enum.IsDefined(value);
    }

    private static readonly byte[][] RequiredAssetFieldsUtf8 = RequiredAssetFieldNames.Select(Encoding.UTF8.GetBytes).ToArray();

    /// <summary>Whether the object's own properties include every required field (like <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> on each).</summary>
    private static bool HasRequiredFields(ReadOnlySpan<byte> item)
    {
        var reader = new Utf8JsonReader(item);
        reader.Read();
        var missing = RequiredAssetFieldsUtf8.Length;
        Span<bool> seen = stackalloc bool[RequiredAssetFieldsUtf8.Length];
        while (missing > 0 && reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            for (var i = 0; i < RequiredAssetFieldsUtf8.Length; i++)
            {
                if (!seen[i] && reader.ValueTextEquals(RequiredAssetFieldsUtf8[i]))
                {
                    seen[i] = true;
                    missing--;
                    break;
                }
            }

            reader.Read();
            reader.Skip();
        }

        return missing == 0;
    }

    /// <summary>
    /// The DTO's validation attributes, checked the way <see cref="Validator.TryValidateObject(object, ValidationContext, ICollection{ValidationResult}?, bool)"/>
    /// checks them with all properties, but without its per-property contexts and lists. [Required] on a
    /// non-nullable value type always holds and is left out. Where the DTO carries anything this cannot check
    /// alike (type-level attributes, IValidatableObject, attributes that need a context), Validator itself runs.
    /// </summary>
    private static class AssetValidation
    {
        private static readonly (PropertyInfo Property, ValidationAttribute[] Attributes)[] Checks = typeof(Dto.AssetResponseDto)
            .GetProperties()
            .Where(p => p.GetIndexParameters().Length == 0)
            .Select(p => (p, p.GetCustomAttributes<ValidationAttribute>(inherit: true)
                .Where(a => !(a is RequiredAttribute && p.PropertyType.IsValueType && Nullable.GetUnderlyingType(p.PropertyType) is null))
                .ToArray()))
            .Where(c => c.Item2.Length > 0)
            .ToArray();

        private static readonly bool NeedsValidator =
            typeof(Dto.AssetResponseDto).GetCustomAttributes<ValidationAttribute>(inherit: true).Any()
            || typeof(IValidatableObject).IsAssignableFrom(typeof(Dto.AssetResponseDto))
            || Checks.Any(c => c.Attributes.Any(a => a.RequiresValidationContext));

        /// <summary>One check per property, typed where the attribute is a plain range on an integer (see <see cref="Typed"/>).</summary>
        private static readonly Func<Dto.AssetResponseDto, bool>[] PropertyChecks = Checks.Select(c => Typed(c.Property, c.Attributes) ?? Boxed(c.Property, c.Attributes)).ToArray();

        public static bool Holds(Dto.AssetResponseDto dto)
        {
            if (NeedsValidator)
            {
                return Validator.TryValidateObject(dto, new ValidationContext(dto), null, validateAllProperties: true);
            }

            foreach (var holds in PropertyChecks)
            {
                if (!holds(dto))
                {
                    return false;
                }
            }

            return true;
        }

        private static Func<Dto.AssetResponseDto, bool> Boxed(PropertyInfo property, ValidationAttribute[] attributes) => dto =>
        {
            var value = property.GetValue(dto);
            foreach (var attribute in attributes)
            {
                if (!attribute.IsValid(value))
                {
                    return false;
                }
            }

            return true;
        };

        /// <summary>
        /// A lone [Range] on an <c>int?</c> or <c>long?</c> property, checked on the typed value: what
        /// <see cref="RangeAttribute.IsValid(object?)"/> does (null holds; the value converted to the attribute's
        /// operand type, int or double, compared with its bounds), without boxing the value and its conversion on
        /// every item. Null for any other shape, which keeps the attribute's own check.
        /// </summary>
        private static Func<Dto.AssetResponseDto, bool>? Typed(PropertyInfo property, ValidationAttribute[] attributes)
        {
            if (attributes is not [RangeAttribute range] || property.GetMethod is not { } getter)
            {
                return null;
            }

            bool InRange(double value, double min, double max) =>
                (range.MinimumIsExclusive ? min < value : min <= value) && (range.MaximumIsExclusive ? value < max : value <= max);

            if (range.OperandType == typeof(double) && range.Minimum is double dMin && range.Maximum is double dMax)
            {
                if (property.PropertyType == typeof(long?))
                {
                    var get = getter.CreateDelegate<Func<Dto.AssetResponseDto, long?>>();
                    return dto => get(dto) is not { } v || InRange(v, dMin, dMax);
                }

                if (property.PropertyType == typeof(int?))
                {
                    var get = getter.CreateDelegate<Func<Dto.AssetResponseDto, int?>>();
                    return dto => get(dto) is not { } v || InRange(v, dMin, dMax);
                }
            }

            // An int operand: an int value converts as is (a long one could overflow, so it keeps the attribute's check).
            if (range.OperandType == typeof(int) && range.Minimum is int iMin && range.Maximum is int iMax && property.PropertyType == typeof(int?))
            {
                var get = getter.CreateDelegate<Func<Dto.AssetResponseDto, int?>>();
                return dto => get(dto) is not { } v || InRange(v, iMin, iMax);
            }

            return null;
        }
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
