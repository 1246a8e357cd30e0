using System.Reflection;
using ImmichAutoTag.Core.Ports;
using NetArchTest.Rules;

namespace ImmichAutoTag.Tests.Architecture;

/// <summary>
/// Core holds the domain, rules, planner and engine; talking to the outside world is the adapters' job. The rule
/// reads every type of the assembly, method bodies and compiler-generated closures and state machines included
/// (NetArchTest.eNhancedEdition walks the IL), so a call to <c>File.ReadAllText</c> hidden in an async lambda is
/// found as surely as a field of type HttpClient. (NetArchTest.Rules 1.3.2 was tried first: it missed types nested
/// two levels deep, such as an async lambda's state machine, so the self-check below failed with it.)
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>
    /// Namespace or type-name prefixes Core may not depend on: file access, HTTP and sockets, YAML, SQLite and
    /// ADO.NET, the console, and the outer projects of this solution.
    /// </summary>
    public static readonly string[] ForbiddenInCore =
    [
        // Files and folders (System.IO's streams over memory, TextWriter and Path's string helpers stay allowed).
        "System.IO.File", "System.IO.Directory", "System.IO.DriveInfo", "System.IO.StreamReader", "System.IO.StreamWriter",
        "System.IO.MemoryMappedFiles", "System.IO.IsolatedStorage", "System.IO.Pipes",
        // HTTP and the network
        "System.Net.Http", "System.Net.Sockets", "System.Net.WebClient", "System.Net.WebRequest", "System.Net.HttpWebRequest",
        "System.Net.HttpListener", "Microsoft.AspNetCore", "Microsoft.Extensions.Http", "Polly",
        // YAML, SQLite, databases
        "YamlDotNet", "Microsoft.Data.Sqlite", "SQLitePCL", "System.Data",
        // The console and the outer layers
        "System.Console", "Serilog", "Spectre.Console",
        "ImmichAutoTag.Immich", "ImmichAutoTag.Config", "ImmichAutoTag.Infrastructure", "ImmichAutoTag.Cli",
    ];

    private static readonly Assembly Core = typeof(IImmichGateway).Assembly;

    /// <summary>
    /// The selected types that depend on anything in <see cref="ForbiddenInCore"/>, as "declaring type: what it
    /// uses"; a closure or state machine is reported under the type whose code it came from.
    /// </summary>
    public static IReadOnlyList<string> Offenders(Condition selected)
    {
        var result = selected.NotHaveDependencyOnAny(ForbiddenInCore).GetResult();
        return result.IsSuccessful ? [] : [.. result.FailingTypes.Select(t => $"{t.FullName.Split('/')[0]}: {t.Explanation}")];
    }

    private static IEnumerable<string> TypeNames(IEnumerable<string> offenders) => offenders.Select(o => o.Split(':')[0]).Distinct();

    [Fact]
    public void Core_uses_no_files_http_yaml_sqlite_console_or_outer_project()
    {
        Offenders(Types.InAssembly(Core).Should()).Should().BeEmpty();
    }

    [Fact]
    public void The_core_rule_catches_each_kind_of_forbidden_use_even_inside_method_bodies()
    {
        // The rule run on deliberately bad types (below): each one must be reported, or the guard could not fail.
        var offenders = Offenders(Types.InAssembly(typeof(ArchitectureTests).Assembly)
            .That().ResideInNamespace(typeof(BadCore.ReadsAFile).Namespace).Should());

        TypeNames(offenders).Should().Contain(
        [
            typeof(BadCore.ReadsAFile).FullName!, typeof(BadCore.SendsHttp).FullName!, typeof(BadCore.ParsesYaml).FullName!,
            typeof(BadCore.OpensSqlite).FullName!, typeof(BadCore.WritesTheConsole).FullName!,
        ]);
        TypeNames(offenders).Should().NotContain(typeof(BadCore.PureDomain).FullName!, "a type that only computes is fine");
    }

    [Fact]
    public void Core_references_none_of_the_outer_assemblies()
    {
        var forbidden = new[] { "System.Net.Http", "YamlDotNet", "Microsoft.Data.Sqlite", "Serilog", "ImmichAutoTag.Immich", "ImmichAutoTag.Config", "ImmichAutoTag.Infrastructure", "ImmichAutoTag.Cli" };

        Core.GetReferencedAssemblies().Select(a => a.Name).Should().NotContain(forbidden);
    }

    [Fact]
    public void Generated_client_types_stay_internal_to_the_Immich_project()
    {
        var assembly = typeof(ImmichAutoTag.Immich.ImmichGateway).Assembly;

        var leaked = assembly.GetExportedTypes().Where(t => t.Namespace?.Contains("Generated", StringComparison.Ordinal) == true);

        leaked.Should().BeEmpty();
    }
}
