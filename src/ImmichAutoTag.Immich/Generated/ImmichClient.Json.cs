using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

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

        // NSwag gives every DTO a [JsonExtensionData] bag. Immich sends many fields our spec leaves out (a search
        // page of 1000 assets carries thousands), and each one would be parsed into its own JsonElement that
        // nothing reads; skipping them instead cut the engine's allocations and CPU time markedly (docs/performance.md).
        settings.TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { DropExtensionData } };
    }

    private static void DropExtensionData(JsonTypeInfo type)
    {
        for (var i = type.Properties.Count - 1; i >= 0; i--)
        {
            if (type.Properties[i].IsExtensionData)
            {
                type.Properties.RemoveAt(i);
            }
        }
    }
}
