namespace ImmichAutoTag.Immich.Generated;

// The generated client keeps its serializer options protected; the gateway reads search pages item by item
// with the same options, so every item is read exactly as the generated method would read it.
internal partial class ImmichClient
{
    internal System.Text.Json.JsonSerializerOptions SerializerOptions => JsonSerializerSettings;
}
