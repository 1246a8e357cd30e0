using ImmichAutoTag.Core.Ports;

namespace ImmichAutoTag.Tests.Architecture;

public sealed class ArchitectureTests
{
    [Fact]
    public void Core_references_no_http_file_format_storage_or_console_libraries()
    {
        var forbidden = new[] { "System.Net.Http", "YamlDotNet", "Microsoft.Data.Sqlite", "Serilog", "System.Console", "ImmichAutoTag.Immich", "ImmichAutoTag.Config" };

        var references = typeof(IImmichGateway).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        references.Should().NotContain(forbidden);
    }

    [Fact]
    public void Generated_client_types_stay_internal_to_the_Immich_project()
    {
        var assembly = typeof(ImmichAutoTag.Immich.ImmichGateway).Assembly;

        var leaked = assembly.GetExportedTypes().Where(t => t.Namespace?.Contains("Generated", StringComparison.Ordinal) == true);

        leaked.Should().BeEmpty();
    }
}
