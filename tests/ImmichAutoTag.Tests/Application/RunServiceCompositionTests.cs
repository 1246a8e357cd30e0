using System.Reflection;
using ImmichAutoTag.Cli;
using ImmichAutoTag.Core.Application;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Tests.Config;
using Microsoft.Extensions.DependencyInjection;

namespace ImmichAutoTag.Tests.Application;

public sealed class RunServiceCompositionTests : IDisposable
{
    // The gateway methods that change server state; every other method only reads.
    private static readonly string[] Writes =
    [
        nameof(IImmichGateway.UpdateAssetsAsync), nameof(IImmichGateway.CreateAlbumAsync), nameof(IImmichGateway.DeleteAlbumAsync),
        nameof(IImmichGateway.AddAssetsToAlbumAsync), nameof(IImmichGateway.RemoveAssetsFromAlbumAsync), nameof(IImmichGateway.AddUsersToAlbumAsync),
        nameof(IImmichGateway.UpdateAlbumUserAsync), nameof(IImmichGateway.RemoveUserFromAlbumAsync), nameof(IImmichGateway.UpsertTagsAsync),
        nameof(IImmichGateway.BulkTagAssetsAsync), nameof(IImmichGateway.TagAssetsAsync), nameof(IImmichGateway.UntagAssetsAsync),
        nameof(IImmichGateway.DeleteTagAsync), nameof(IImmichGateway.SetQueuePausedAsync), nameof(IImmichGateway.RunAssetJobAsync),
        nameof(IImmichGateway.StartSidecarDiscoveryAsync),
    ];

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("immich-autotag-composition-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void The_README_exit_code_table_lists_exactly_the_exit_code_enum()
    {
        // Every row of README's "Exit codes" table is "| <code> | <meaning> |"; the enum is the one source of the codes.
        var readme = File.ReadAllLines(Path.Combine(ConfigTestHelpers.RepoRoot(), "README.md"));
        var start = Array.FindIndex(readme, l => l.Trim() == "### Exit codes");
        start.Should().BeGreaterThan(0, "README.md has an \"Exit codes\" section");
        var documented = readme.Skip(start + 1)
            .SkipWhile(l => !l.StartsWith('|'))
            .TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)[1])
            .Where(c => c.Length > 0 && c.All(char.IsAsciiDigit))
            .Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

        documented.Should().Equal(Enum.GetValues<RunExitCode>().Select(c => (int)c), "README's exit-code table and RunExitCode must list the same codes, in order");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_composition_root_resolves_the_run_service_and_gives_a_dry_run_the_read_only_gateway(bool dryRun)
    {
        using var services = Composition.Build(new CliContext(TextWriter.Null, TextWriter.Null, _ => null, _root.FullName, _root.FullName), new LogSettings(), _root.FullName, _root.FullName, dryRun);

        services.GetRequiredService<AutoTagRunService>().Should().NotBeNull();
        var factory = services.GetRequiredService<IImmichConnectionFactory>();
        if (dryRun)
        {
            factory.Should().BeOfType<ReadOnlyImmichConnectionFactory>();
        }
        else
        {
            factory.Should().BeOfType<HttpImmichConnectionFactory>();
        }
    }

    [Fact]
    public void The_read_only_gateway_refuses_every_write_before_the_inner_gateway_sees_it_and_forwards_every_read()
    {
        var methods = typeof(IImmichGateway).GetMethods();
        Writes.Should().BeSubsetOf(methods.Select(m => m.Name));
        foreach (var declared in methods)
        {
            // A generic read (ReadOriginalAsync<TResult>) is called with one concrete result type.
            var method = declared.IsGenericMethodDefinition ? declared.MakeGenericMethod(typeof(byte[])) : declared;
            var inner = DispatchProxy.Create<IImmichConnection, RecordingProxy>();
            var calls = ((RecordingProxy)(object)inner).Calls;
            using var gateway = new ReadOnlyImmichGateway(inner);
            var args = method.GetParameters().Select(p => p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();

            var call = () => method.Invoke(gateway, args);

            if (Writes.Contains(method.Name))
            {
                call.Should().Throw<TargetInvocationException>(method.Name).WithInnerException<ReadOnlyGatewayException>();
                calls.Should().BeEmpty(method.Name);
            }
            else
            {
                call.Should().NotThrow(method.Name);
                calls.Should().Equal([method.Name], method.Name);
            }
        }
    }
}

/// <summary>An IImmichConnection that records the names of the methods called and answers with defaults.</summary>
public class RecordingProxy : DispatchProxy
{
    public List<string> Calls { get; } = [];

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name != nameof(IDisposable.Dispose))
        {
            Calls.Add(targetMethod.Name);
        }

        var type = targetMethod.ReturnType;
        if (type == typeof(Task))
        {
            return Task.CompletedTask;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var result = type.GetGenericArguments()[0];
            return typeof(Task).GetMethod(nameof(Task.FromResult))!.MakeGenericMethod(result)
                .Invoke(null, [result.IsValueType ? Activator.CreateInstance(result) : null]);
        }

        return type.IsValueType && type != typeof(void) ? Activator.CreateInstance(type) : null;
    }
}
