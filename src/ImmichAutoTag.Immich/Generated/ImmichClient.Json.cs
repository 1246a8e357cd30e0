using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImmichAutoTag.Immich.Generated;

internal partial class ImmichClient
{
    // Optional request fields are nullable in the generated DTOs. Immich reads an explicit null as "clear this
    // field" (duplicateId) or rejects it (enums), so unset fields must be left out of the body altogether.
    static partial void UpdateJsonSerializerSettings(JsonSerializerOptions settings)
    {
        settings.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;

        // NSwag puts a string-enum converter on single enum properties only; arrays of enums (an API key's
        // permissions) need it too, and it honours the [JsonStringEnumMemberName] spellings the build adds.
        settings.Converters.Add(new JsonStringEnumConverter());
    }
}
