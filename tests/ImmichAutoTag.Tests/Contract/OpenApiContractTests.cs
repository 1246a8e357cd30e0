using System.Text.Json.Nodes;
using ImmichAutoTag.Immich.Http;

namespace ImmichAutoTag.Tests.Contract;

public sealed class OpenApiContractTests
{
    private static readonly JsonObject Official = SpecFiles.LoadOfficial();

    [Fact]
    public void Our_openapi_file_matches_the_official_spec()
    {
        var mismatches = OpenApiContractChecker.Compare(SpecFiles.LoadOurs(), Official);

        mismatches.Should().BeEmpty();
    }

    [Fact]
    public void Our_openapi_file_declares_the_operations_the_gateway_calls()
    {
        var declared = Operations(SpecFiles.LoadOurs())
            .Select(o => $"{o.Method} {o.Path} {o.OperationId} {o.Permission ?? "-"}{(o.AdminOnly ? " admin" : string.Empty)}")
            .Order(StringComparer.Ordinal);
        var table = ImmichOperations.All
            .Select(o => $"{o.Method.Method} {o.PathTemplate} {o.OperationId} {o.Permission ?? "-"}{(o.AdminOnly ? " admin" : string.Empty)}")
            .Order(StringComparer.Ordinal);

        declared.Should().Equal(table);
    }

    [Fact]
    public void A_renamed_property_is_reported_with_schema_and_property()
    {
        var ours = SpecFiles.LoadOurs();
        var asset = Schema(ours, "AssetResponseDto");
        var properties = asset["properties"]!.AsObject();
        var node = properties["originalFileName"]!.DeepClone();
        properties.Remove("originalFileName");
        properties["originalFilename"] = node;
        var required = asset["required"]!.AsArray();
        required.Remove(required.First(n => n!.GetValue<string>() == "originalFileName"));
        required.Add("originalFilename");

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().Contain(m => m.Contains("AssetResponseDto", StringComparison.Ordinal) && m.Contains("originalFilename", StringComparison.Ordinal) && m.Contains("not in the official schema", StringComparison.Ordinal));
        mismatches.Should().Contain(m => m.Contains("AssetResponseDto property originalFileName", StringComparison.Ordinal) && m.Contains("not declared", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_property_type_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        Schema(ours, "AssetResponseDto")["properties"]!["isFavorite"]!["type"] = "string";

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().ContainSingle().Which.Should().Contain("AssetResponseDto property isFavorite").And.Contain("type is string").And.Contain("boolean");
    }

    [Fact]
    public void A_wrong_format_or_nullable_flag_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        var nextPage = Schema(ours, "SearchAssetResponseDto")["properties"]!["nextPage"]!.AsObject();
        nextPage.Remove("nullable");
        Schema(ours, "TagResponseDto")["properties"]!["updatedAt"]!["format"] = "date";

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().HaveCount(2);
        mismatches.Should().Contain(m => m.Contains("SearchAssetResponseDto property nextPage: nullable", StringComparison.Ordinal));
        mismatches.Should().Contain(m => m.Contains("TagResponseDto property updatedAt: format is date", StringComparison.Ordinal));
    }

    [Fact]
    public void An_integer_the_server_sends_beyond_the_generated_int_is_reported()
    {
        // Immich bounds quotaUsageInBytes at 2^53−1 without a format; NSwag would generate a 32-bit int.
        var ours = SpecFiles.LoadOurs();
        Schema(ours, "UserAdminResponseDto")["properties"]!["quotaUsageInBytes"]!.AsObject().Remove("format");
        Schema(ours, "SearchAssetResponseDto")["properties"]!["total"]!["format"] = "int32";

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().HaveCount(2);
        mismatches.Should().Contain(m => m.StartsWith("schema UserAdminResponseDto property quotaUsageInBytes: the official range [0, 9007199254740991] does not fit the generated int", StringComparison.Ordinal));
        mismatches.Should().Contain(m => m.StartsWith("schema SearchAssetResponseDto property total: the official range [0, 9007199254740991] does not fit the generated int (format int32)", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_integer_the_server_sends_fits_its_generated_type()
    {
        // The whole kind, not one field: every integer in a response schema whose official maximum exceeds
        // 2^31−1 must be declared int64, and each such field is found by the checker when the format is dropped.
        var ours = SpecFiles.LoadOurs();
        var wide = new List<string>();
        foreach (var (name, schema) in ours["components"]!["schemas"]!.AsObject())
        {
            foreach (var (property, node) in schema!["properties"]?.AsObject() ?? [])
            {
                var official = Official["components"]!["schemas"]![name]!["properties"]![property]!.AsObject();
                if (node!["type"]?.GetValue<string>() == "integer" && official["maximum"]?.GetValue<decimal>() > int.MaxValue && name != "MetadataSearchDto")
                {
                    wide.Add($"{name}.{property}");
                }
            }
        }

        wide.Should().Contain(["UserAdminResponseDto.quotaUsageInBytes", "AlbumResponseDto.assetCount", "SearchStatisticsResponseDto.total", "QueueStatisticsDto.waiting"]);
        foreach (var field in wide)
        {
            var (name, property) = (field.Split('.')[0], field.Split('.')[1]);
            var copy = SpecFiles.LoadOurs();
            Schema(copy, name)["properties"]![property]!.AsObject().Remove("format");

            OpenApiContractChecker.Compare(copy, Official).Should().Contain(m => m.Contains($"{name} property {property}: the official range", StringComparison.Ordinal), field);
        }
    }

    [Fact]
    public void The_gateway_checks_every_required_field_of_a_search_item()
    {
        var required = Schema(SpecFiles.LoadOurs(), "AssetResponseDto")["required"]!.AsArray().Select(n => n!.GetValue<string>());

        ImmichAutoTag.Immich.ImmichGateway.RequiredAssetFieldNames.Should().BeEquivalentTo(required);
    }

    [Fact]
    public void A_dropped_required_flag_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        var required = Schema(ours, "TagResponseDto")["required"]!.AsArray();
        required.Remove(required.First(n => n!.GetValue<string>() == "value"));

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().ContainSingle().Which.Should().Be("schema TagResponseDto property value: required in the official schema but not in ours");
    }

    [Fact]
    public void A_required_response_property_left_out_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        var album = Schema(ours, "AlbumResponseDto");
        album["properties"]!.AsObject().Remove("hasSharedLink");
        var required = album["required"]!.AsArray();
        required.Remove(required.First(n => n!.GetValue<string>() == "hasSharedLink"));

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().ContainSingle().Which.Should().Contain("AlbumResponseDto property hasSharedLink").And.Contain("not declared");
    }

    [Fact]
    public void An_extra_or_missing_enum_value_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        Schema(ours, "AssetTypeEnum")["enum"]!.AsArray().Add("PANORAMA");
        var visibility = Schema(ours, "AssetVisibility")["enum"]!.AsArray();
        visibility.Remove(visibility.First(n => n!.GetValue<string>() == "locked"));

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().Contain(m => m.Contains("AssetTypeEnum", StringComparison.Ordinal) && m.Contains("PANORAMA", StringComparison.Ordinal));
        mismatches.Should().Contain(m => m.Contains("AssetVisibility", StringComparison.Ordinal) && m.Contains("missing", StringComparison.Ordinal) && m.Contains("locked", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_path_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        ours["paths"]!["/assets/random"] = new JsonObject
        {
            ["get"] = new JsonObject { ["operationId"] = "getRandom", ["responses"] = new JsonObject() },
        };

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().ContainSingle().Which.Should().Be("path /assets/random: not in the official spec");
    }

    [Fact]
    public void A_wrong_method_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        var tags = ours["paths"]!["/tags"]!.AsObject();
        var upsert = tags["put"]!.DeepClone();
        tags.Remove("put");
        tags["post"] = upsert;

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().Contain(m => m.StartsWith("POST /tags: operationId is 'upsertTags'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_method_the_path_does_not_have_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        var ping = ours["paths"]!["/server/ping"]!.AsObject();
        var get = ping["get"]!.DeepClone();
        ping.Remove("get");
        ping["delete"] = get;

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().ContainSingle().Which.Should().StartWith("DELETE /server/ping: no such operation");
    }

    [Fact]
    public void A_wrong_permission_or_parameter_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        var tagAssets = ours["paths"]!["/tags/{id}/assets"]!["put"]!.AsObject();
        tagAssets["x-immich-permission"] = "tag.update";
        var view = ours["paths"]!["/assets/{id}/thumbnail"]!["get"]!["parameters"]!.AsArray();
        view.OfType<JsonObject>().First(p => p["name"]!.GetValue<string>() == "size")["required"] = true;

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().HaveCount(2);
        mismatches.Should().Contain("PUT /tags/{id}/assets: x-immich-permission is 'tag.update', the official spec says 'tag.asset'");
        mismatches.Should().Contain(m => m.StartsWith("GET /assets/{id}/thumbnail parameter size (in query): required is True", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_reference_target_is_reported()
    {
        var ours = SpecFiles.LoadOurs();
        Schema(ours, "AlbumUserResponseDto")["properties"]!["user"]!["$ref"] = "#/components/schemas/UserAdminResponseDto";

        var mismatches = OpenApiContractChecker.Compare(ours, Official);

        mismatches.Should().Contain(m => m.Contains("AlbumUserResponseDto property user: $ref is UserAdminResponseDto", StringComparison.Ordinal));
    }

    private static JsonObject Schema(JsonObject doc, string name) => doc["components"]!["schemas"]![name]!.AsObject();

    private static IEnumerable<(string Method, string Path, string OperationId, string? Permission, bool AdminOnly)> Operations(JsonObject doc)
    {
        foreach (var (path, item) in doc["paths"]!.AsObject())
        {
            foreach (var (method, op) in item!.AsObject())
            {
                yield return (method.ToUpperInvariant(), path, op!["operationId"]!.GetValue<string>(), op["x-immich-permission"]?.GetValue<string>(), op["x-immich-admin-only"]?.GetValue<bool>() == true);
            }
        }
    }
}
