using Microsoft.Data.Sqlite;
using YamlDotNet.Serialization;

// Deliberately bad code: what the Core rule must catch. Never called; it exists so the rule is shown to fail.
namespace ImmichAutoTag.Tests.Architecture.BadCore;

/// <summary>File access hidden in an async method's body (the compiler moves it into a state machine).</summary>
internal static class ReadsAFile
{
    public static async Task<int> LengthAsync(string path) => (await File.ReadAllTextAsync(path)).Length;
}

/// <summary>HTTP only inside a lambda.</summary>
internal static class SendsHttp
{
    public static Func<Uri, Task<string>> Fetch { get; } = async uri =>
    {
        using var client = new HttpClient();
        return await client.GetStringAsync(uri);
    };
}

internal static class ParsesYaml
{
    public static object Parse(string yaml) => new DeserializerBuilder().Build().Deserialize<object>(yaml);
}

internal static class OpensSqlite
{
    public static string Version()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        return connection.ServerVersion;
    }
}

internal static class WritesTheConsole
{
    public static void Say(string text) => Console.WriteLine(text);
}

/// <summary>Only computes: the rule must leave it alone.</summary>
internal static class PureDomain
{
    public static int Twice(int n) => n * 2;
}
