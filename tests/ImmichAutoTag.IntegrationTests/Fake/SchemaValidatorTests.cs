using System.Text.Json;
using ImmichAutoTag.TestKit.Schema;

namespace ImmichAutoTag.IntegrationTests.Fake;

public sealed class SchemaValidatorTests
{
    private const string MiniSpec = """
    {
      "components": { "schemas": {
        "Kind": { "type": "string", "enum": ["a", "b"] },
        "Item": {
          "type": "object",
          "required": ["id", "count", "kind", "when"],
          "properties": {
            "id": { "type": "string", "format": "uuid" },
            "count": { "type": "integer", "minimum": 0 },
            "kind": { "$ref": "#/components/schemas/Kind" },
            "when": { "type": "string", "format": "date-time" },
            "note": { "type": "string", "nullable": true },
            "parent": { "allOf": [ { "$ref": "#/components/schemas/Kind" } ], "nullable": true },
            "list": { "type": "array", "items": { "type": "boolean" } }
          }
        },
        "Closed": { "type": "object", "properties": { "x": { "type": "integer" } }, "additionalProperties": false },
        "Either": { "oneOf": [ { "type": "string" }, { "type": "integer" } ] },
        "Any": { "anyOf": [ { "type": "string", "format": "uuid" }, { "type": "boolean" } ] }
      } }
    }
    """;

    private static readonly string ValidItem = """
        {"id":"6f1c2a4e-8b3d-4c5e-9f10-1a2b3c4d5e6f","count":3,"kind":"a","when":"2024-01-01T00:00:00.000Z",
         "note":null,"parent":null,"list":[true,false]}
        """;

    private static IReadOnlyList<string> Validate(string schemaName, string json)
    {
        var spec = OpenApiSpec.Parse(MiniSpec);
        var schema = spec.Root.GetProperty("components").GetProperty("schemas").GetProperty(schemaName);
        using var doc = JsonDocument.Parse(json);
        return spec.Validator.Validate(schema, doc.RootElement);
    }

    private static string Without(string property)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(ValidItem)!.AsObject();
        node.Remove(property);
        return node.ToJsonString();
    }

    private static string With(string property, string rawValue)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(ValidItem)!.AsObject();
        node[property] = System.Text.Json.Nodes.JsonNode.Parse(rawValue);
        return node.ToJsonString();
    }

    [Fact]
    public void Accepts_a_conforming_object() => Validate("Item", ValidItem).Should().BeEmpty();

    [Fact]
    public void Reports_a_missing_required_property() =>
        Validate("Item", Without("count")).Should().ContainSingle().Which.Should().Contain("'count' is missing");

    [Fact]
    public void Reports_a_wrong_type() =>
        Validate("Item", With("count", "\"3\"")).Should().ContainSingle().Which.Should().Contain("$.count: expected integer");

    [Fact]
    public void Reports_a_fractional_number_where_an_integer_is_required() =>
        Validate("Item", With("count", "1.5")).Should().ContainSingle().Which.Should().Contain("expected integer");

    [Fact]
    public void Reports_a_bad_enum_value_through_a_ref() =>
        Validate("Item", With("kind", "\"c\"")).Should().ContainSingle().Which.Should().Contain("$.kind").And.Contain("enum");

    [Fact]
    public void Reports_a_bad_uuid_and_a_bad_date_time()
    {
        Validate("Item", With("id", "\"not-a-uuid\"")).Should().ContainSingle().Which.Should().Contain("uuid");
        Validate("Item", With("when", "\"2024-01-01\"")).Should().ContainSingle().Which.Should().Contain("date-time");
    }

    [Fact]
    public void Null_is_allowed_only_where_nullable()
    {
        Validate("Item", With("note", "null")).Should().BeEmpty();
        Validate("Item", With("count", "null")).Should().ContainSingle().Which.Should().Contain("null is not allowed");
    }

    [Fact]
    public void AllOf_parts_are_checked() =>
        Validate("Item", With("parent", "\"z\"")).Should().ContainSingle().Which.Should().Contain("$.parent");

    [Fact]
    public void Array_items_are_checked_with_their_index() =>
        Validate("Item", With("list", "[true, 1]")).Should().ContainSingle().Which.Should().Contain("$.list[1]");

    [Fact]
    public void AdditionalProperties_false_rejects_unknown_names()
    {
        Validate("Closed", """{"x":1}""").Should().BeEmpty();
        Validate("Closed", """{"x":1,"y":2}""").Should().ContainSingle().Which.Should().Contain("$.y");
    }

    [Fact]
    public void OneOf_needs_exactly_one_match_and_anyOf_at_least_one()
    {
        Validate("Either", "\"s\"").Should().BeEmpty();
        Validate("Either", "true").Should().NotBeEmpty();
        Validate("Any", "true").Should().BeEmpty();
        Validate("Any", "\"nope\"").Should().NotBeEmpty();
    }

    [Fact]
    public void Official_asset_schema_rejects_an_asset_without_its_id()
    {
        var spec = OpenApiSpec.Official;
        var schema = spec.Root.GetProperty("components").GetProperty("schemas").GetProperty("AssetResponseDto");
        using var doc = JsonDocument.Parse("""{"type":"IMAGE"}""");
        spec.Validator.Validate(schema, doc.RootElement).Should().Contain(e => e.Contains("'id' is missing", StringComparison.Ordinal));
    }
}
