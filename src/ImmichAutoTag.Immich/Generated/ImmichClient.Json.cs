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
    }
}
