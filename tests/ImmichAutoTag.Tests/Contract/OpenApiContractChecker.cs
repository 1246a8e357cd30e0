using System.Text.Json.Nodes;

namespace ImmichAutoTag.Tests.Contract;

/// <summary>
/// Compares the project's trimmed OpenAPI description with the official Immich spec and lists every
/// difference that would make the generated client disagree with a real server.
/// </summary>
internal static class OpenApiContractChecker
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options"];

    private enum Use
    {
        /// <summary>Sent by us: we may leave out fields, but what we send must exist with the same shape.</summary>
        Request,

        /// <summary>Received by us: every field the server always sends must be declared too.</summary>
        Response,
    }

    public static IReadOnlyList<string> Compare(JsonObject ours, JsonObject theirs)
    {
        var run = new Run(ours, theirs);
        run.ComparePaths();
        run.CompareDeclaredSchemas();
        return run.Mismatches;
    }

    private sealed class Run(JsonObject ours, JsonObject theirs)
    {
        private readonly HashSet<(string Name, Use Use)> _visited = [];

        public List<string> Mismatches { get; } = [];

        private JsonObject? OurSchemas => ours["components"]?["schemas"] as JsonObject;

        private JsonObject? TheirSchemas => theirs["components"]?["schemas"] as JsonObject;

        public void ComparePaths()
        {
            var ourPaths = ours["paths"] as JsonObject ?? [];
            var theirPaths = theirs["paths"] as JsonObject ?? [];
            foreach (var (path, ourItem) in ourPaths)
            {
                if (theirPaths[path] is not JsonObject theirItem)
                {
                    Mismatches.Add($"path {path}: not in the official spec");
                    continue;
                }

                foreach (var method in Methods)
                {
                    if (ourItem?[method] is not JsonObject ourOp)
                    {
                        continue;
                    }

                    var where = $"{method.ToUpperInvariant()} {path}";
                    if (theirItem[method] is not JsonObject theirOp)
                    {
                        var available = string.Join(", ", Methods.Where(m => theirItem[m] is JsonObject).Select(m => m.ToUpperInvariant()));
                        Mismatches.Add($"{where}: no such operation in the official spec (it has {available})");
                        continue;
                    }

                    CompareOperation(where, ourOp, theirOp);
                }
            }
        }

        public void CompareDeclaredSchemas()
        {
            foreach (var (name, _) in OurSchemas ?? [])
            {
                if (TheirSchemas?[name] is null)
                {
                    Mismatches.Add($"schema {name}: not in the official spec");
                }
            }
        }

        private void CompareOperation(string where, JsonObject ourOp, JsonObject theirOp)
        {
            var ourId = Str(ourOp, "operationId");
            var theirId = Str(theirOp, "operationId");
            if (ourId != theirId)
            {
                Mismatches.Add($"{where}: operationId is '{ourId}', the official spec says '{theirId}'");
            }

            var ourPermission = Str(ourOp, "x-immich-permission");
            var theirPermission = Str(theirOp, "x-immich-permission");
            if (ourPermission != theirPermission)
            {
                Mismatches.Add($"{where}: x-immich-permission is '{ourPermission ?? "(none)"}', the official spec says '{theirPermission ?? "(none)"}'");
            }

            CompareParameters(where, ourOp, theirOp);
            CompareRequestBody(where, ourOp, theirOp);
            CompareResponses(where, ourOp, theirOp);
        }

        private void CompareParameters(string where, JsonObject ourOp, JsonObject theirOp)
        {
            var theirParams = (theirOp["parameters"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var ourParams = (ourOp["parameters"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            foreach (var ourParam in ourParams)
            {
                var name = Str(ourParam, "name");
                var location = Str(ourParam, "in");
                var at = $"{where} parameter {name} (in {location})";
                var theirParam = theirParams.FirstOrDefault(p => Str(p, "name") == name && Str(p, "in") == location);
                if (theirParam is null)
                {
                    Mismatches.Add($"{at}: not in the official spec");
                    continue;
                }

                if (Bool(ourParam, "required") != Bool(theirParam, "required"))
                {
                    Mismatches.Add($"{at}: required is {Bool(ourParam, "required")}, the official spec says {Bool(theirParam, "required")}");
                }

                CompareShape(at, ourParam["schema"] as JsonObject, theirParam["schema"] as JsonObject, Use.Request);
            }

            foreach (var theirParam in theirParams.Where(p => Bool(p, "required")))
            {
                if (!ourParams.Any(p => Str(p, "name") == Str(theirParam, "name") && Str(p, "in") == Str(theirParam, "in")))
                {
                    Mismatches.Add($"{where} parameter {Str(theirParam, "name")}: required by the official spec but not declared");
                }
            }
        }

        private void CompareRequestBody(string where, JsonObject ourOp, JsonObject theirOp)
        {
            var ourBody = ourOp["requestBody"] as JsonObject;
            var theirBody = theirOp["requestBody"] as JsonObject;
            if (ourBody is null)
            {
                if (theirBody is not null && Bool(theirBody, "required"))
                {
                    Mismatches.Add($"{where}: the official spec requires a request body, ours declares none");
                }

                return;
            }

            if (theirBody is null)
            {
                Mismatches.Add($"{where}: declares a request body the official spec does not have");
                return;
            }

            CompareContent($"{where} request body", ourBody["content"] as JsonObject, theirBody["content"] as JsonObject, Use.Request);
        }

        private void CompareResponses(string where, JsonObject ourOp, JsonObject theirOp)
        {
            var ourResponses = ourOp["responses"] as JsonObject ?? [];
            var theirResponses = theirOp["responses"] as JsonObject ?? [];
            foreach (var (code, ourResponse) in ourResponses)
            {
                if (theirResponses[code] is not JsonObject theirResponse)
                {
                    Mismatches.Add($"{where} response {code}: not in the official spec");
                    continue;
                }

                CompareContent($"{where} response {code}", ourResponse?["content"] as JsonObject, theirResponse["content"] as JsonObject, Use.Response);
            }

            foreach (var (code, _) in theirResponses)
            {
                if (code.StartsWith('2') && ourResponses[code] is null)
                {
                    Mismatches.Add($"{where} response {code}: in the official spec but not declared");
                }
            }
        }

        private void CompareContent(string at, JsonObject? ourContent, JsonObject? theirContent, Use use)
        {
            var ourTypes = (ourContent ?? []).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            var theirTypes = (theirContent ?? []).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            if (!ourTypes.SequenceEqual(theirTypes))
            {
                Mismatches.Add($"{at}: content types [{string.Join(", ", ourTypes)}], the official spec has [{string.Join(", ", theirTypes)}]");
                return;
            }

            foreach (var type in ourTypes)
            {
                CompareShape($"{at} ({type})", ourContent?[type]?["schema"] as JsonObject, theirContent?[type]?["schema"] as JsonObject, use);
            }
        }

        /// <summary>Compares one schema node (inline or a $ref) and follows references into named schemas.</summary>
        private void CompareShape(string at, JsonObject? ours, JsonObject? theirs, Use use)
        {
            var our = Shape.Of(ours);
            var their = Shape.Of(theirs);
            Diff(at, "type", our.Type, their.Type);
            CompareFormat(at, our.Type, our.Format, their, use);
            Diff(at, "nullable", our.Nullable.ToString(), their.Nullable.ToString());
            Diff(at, "$ref", our.Ref, their.Ref);
            Diff(at, "items type", our.ItemsType, their.ItemsType);
            CompareFormat(at + " items", our.ItemsType, our.ItemsFormat, their.Items ?? Shape.Of(null), use);
            Diff(at, "items $ref", our.ItemsRef, their.ItemsRef);
            DiffEnum(at, our.Enum, their.Enum);
            DiffEnum(at + " items", our.ItemsEnum, their.ItemsEnum);

            foreach (var name in new[] { our.Ref, our.ItemsRef })
            {
                if (name is not null)
                {
                    CompareSchema(name, use);
                }
            }
        }

        private void CompareSchema(string name, Use use)
        {
            if (!_visited.Add((name, use)))
            {
                return;
            }

            var ours = OurSchemas?[name] as JsonObject;
            var theirs = TheirSchemas?[name] as JsonObject;
            if (ours is null)
            {
                Mismatches.Add($"schema {name}: referenced but not declared in our file");
                return;
            }

            if (theirs is null)
            {
                Mismatches.Add($"schema {name}: not in the official spec");
                return;
            }

            var at = $"schema {name}";
            Diff(at, "type", Str(ours, "type"), Str(theirs, "type"));
            DiffEnum(at, Strings(ours["enum"]), Strings(theirs["enum"]));

            var ourProps = ours["properties"] as JsonObject ?? [];
            var theirProps = theirs["properties"] as JsonObject ?? [];
            foreach (var (prop, ourProp) in ourProps)
            {
                if (theirProps[prop] is not JsonObject theirProp)
                {
                    Mismatches.Add($"{at} property {prop}: not in the official schema");
                    continue;
                }

                CompareShape($"{at} property {prop}", ourProp as JsonObject, theirProp, use);
            }

            var ourRequired = Strings(ours["required"]) ?? [];
            var theirRequired = Strings(theirs["required"]) ?? [];
            foreach (var prop in theirRequired.Where(p => ourProps.ContainsKey(p) && !ourRequired.Contains(p)))
            {
                Mismatches.Add($"{at} property {prop}: required in the official schema but not in ours");
            }

            foreach (var prop in ourRequired.Where(p => !theirRequired.Contains(p)))
            {
                Mismatches.Add($"{at} property {prop}: required in ours but not in the official schema");
            }

            if (use == Use.Response)
            {
                foreach (var prop in theirRequired.Where(p => !ourProps.ContainsKey(p)))
                {
                    Mismatches.Add($"{at} property {prop}: always sent by the server (required) but not declared");
                }
            }
        }

        /// <summary>
        /// Formats must agree, except that an integer the server sends may be declared wider than the official
        /// spec says: Immich leaves most integers without a format (NSwag then generates a 32-bit int) while
        /// bounding them at 2^53−1, so the only safe check is whether the official range fits the generated type.
        /// </summary>
        private void CompareFormat(string at, string? ourType, string? ourFormat, Shape their, Use use)
        {
            if (use == Use.Response && ourType == "integer" && their.Type == "integer")
            {
                var (generated, min, max) = IntegerType(ourFormat);
                if (generated is null)
                {
                    Mismatches.Add($"{at}: integer format {ourFormat} has no generated C# type (use int32 or int64)");
                    return;
                }

                var (_, theirFormatMin, theirFormatMax) = IntegerType(their.Format);
                var theirMax = their.Maximum ?? theirFormatMax ?? decimal.MaxValue;
                var theirMin = their.Minimum ?? theirFormatMin ?? decimal.MinValue;
                if (theirMax > max || theirMin < min)
                {
                    Mismatches.Add($"{at}: the official range [{Bound(theirMin)}, {Bound(theirMax)}] does not fit the generated {generated} (format {ourFormat ?? "(none)"}); declare format int64");
                }

                return;
            }

            Diff(at, "format", ourFormat, their.Format);
        }

        /// <summary>The C# type NSwag generates for an integer of this format, with its range.</summary>
        private static (string? Type, decimal? Min, decimal? Max) IntegerType(string? format) => format switch
        {
            null or "int32" => ("int", int.MinValue, int.MaxValue),
            "int64" => ("long", long.MinValue, long.MaxValue),
            _ => (null, null, null),
        };

        private static string Bound(decimal value) => value switch
        {
            decimal.MaxValue => "unbounded",
            decimal.MinValue => "unbounded",
            _ => value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        private void Diff(string at, string what, string? ours, string? theirs)
        {
            if (!string.Equals(ours, theirs, StringComparison.Ordinal))
            {
                Mismatches.Add($"{at}: {what} is {ours ?? "(none)"}, the official spec says {theirs ?? "(none)"}");
            }
        }

        private void DiffEnum(string at, IReadOnlyList<string>? ours, IReadOnlyList<string>? theirs)
        {
            if (ours is null && theirs is null)
            {
                return;
            }

            var ourSet = (ours ?? []).ToHashSet(StringComparer.Ordinal);
            var theirSet = (theirs ?? []).ToHashSet(StringComparer.Ordinal);
            var extra = ourSet.Except(theirSet).Order(StringComparer.Ordinal).ToList();
            var missing = theirSet.Except(ourSet).Order(StringComparer.Ordinal).ToList();
            if (extra.Count > 0)
            {
                Mismatches.Add($"{at}: enum values not in the official spec: {string.Join(", ", extra)}");
            }

            if (missing.Count > 0)
            {
                Mismatches.Add($"{at}: enum values missing (the server may send them): {string.Join(", ", missing)}");
            }
        }
    }

    /// <summary>The parts of a schema node that decide the generated C# type.</summary>
    private sealed record Shape(
        string? Type,
        string? Format,
        bool Nullable,
        string? Ref,
        IReadOnlyList<string>? Enum,
        string? ItemsType,
        string? ItemsFormat,
        string? ItemsRef,
        IReadOnlyList<string>? ItemsEnum,
        decimal? Minimum,
        decimal? Maximum,
        Shape? Items)
    {
        public static Shape Of(JsonObject? node)
        {
            var items = node?["items"] as JsonObject;
            return new Shape(
                Str(node, "type"),
                Str(node, "format"),
                node is not null && Bool(node, "nullable"),
                RefName(node),
                Strings(node?["enum"]),
                Str(items, "type"),
                Str(items, "format"),
                RefName(items),
                Strings(items?["enum"]),
                Num(node, "minimum"),
                Num(node, "maximum"),
                items is null ? null : Of(items));
        }

        // Nullable references are written as allOf with a single $ref; both spellings name the same type.
        private static string? RefName(JsonObject? node)
        {
            var reference = Str(node, "$ref");
            if (reference is null && node?["allOf"] is JsonArray { Count: 1 } allOf)
            {
                reference = Str(allOf[0] as JsonObject, "$ref");
            }

            return reference?[(reference.LastIndexOf('/') + 1)..];
        }
    }

    private static string? Str(JsonObject? node, string key) =>
        node?[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static decimal? Num(JsonObject? node, string key) =>
        node?[key] is JsonValue value && value.TryGetValue<decimal>(out var number) ? number : null;

    private static bool Bool(JsonObject node, string key) =>
        node[key] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    private static List<string>? Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => n?.ToString() ?? "null").ToList() : null;
}
