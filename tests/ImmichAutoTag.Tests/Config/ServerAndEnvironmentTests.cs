using static ImmichAutoTag.Tests.Config.ConfigTestHelpers;

namespace ImmichAutoTag.Tests.Config;

public sealed class ServerAndEnvironmentTests
{
    private static Uri UrlFor(string url, Func<string, string?>? env = null)
    {
        var result = Load($"""
            server:
              url: "{url}"
              api_key: k
            enable_album_name_strip: true
            """, env);
        result.Errors.Should().BeEmpty();
        return result.Config!.Server.Url;
    }

    [Theory]
    [InlineData("https://photos.example.net", "https://photos.example.net/", "https://photos.example.net/api/")]
    [InlineData("https://photos.example.net/", "https://photos.example.net/", "https://photos.example.net/api/")]
    [InlineData("https://example.net/immich", "https://example.net/immich/", "https://example.net/immich/api/")]
    [InlineData("https://example.net/immich/api", "https://example.net/immich/", "https://example.net/immich/api/")]
    [InlineData("http://10.0.0.5:2283/api/", "http://10.0.0.5:2283/", "http://10.0.0.5:2283/api/")]
    [InlineData("HTTP://Nas.Local:8080/API", "http://nas.local:8080/", "http://nas.local:8080/api/")]
    public void Server_url_forms_are_normalised(string written, string expectedBase, string expectedApi)
    {
        var url = UrlFor(written);

        url.Should().Be(new Uri(expectedBase));
        new Core.Configuration.ServerConfig(url, "k").ApiUrl.Should().Be(new Uri(expectedApi));
    }

    [Fact]
    public void Host_and_port_build_a_plain_http_url()
    {
        Load(Minimal).Config!.Server.Url.Should().Be(new Uri("http://nas.home:2283/"));
    }

    [Fact]
    public void Host_without_port_is_an_error()
    {
        var d = SingleError("""
            server: {host: nas, api_key: k}
            enable_album_name_strip: true
            """);

        d.KeyPath.Should().Be("server.port");
        d.Message.Should().Contain("missing required key 'port'");
    }

    [Fact]
    public void Url_wins_over_host_and_port_with_a_warning()
    {
        var result = Load("""
            server:
              url: https://a.example/
              host: b.example
              port: 1
              api_key: k
            enable_album_name_strip: true
            classification: {rules: [{tag_names: [meme]}]}
            """);

        result.Config!.Server.Url.Should().Be(new Uri("https://a.example/"));
        result.Warnings.Should().ContainSingle().Which.KeyPath.Should().Be("server.host");
    }

    [Fact]
    public void Environment_overrides_the_file()
    {
        var env = Env(("IMMICH_URL", "https://env.example/base/api"), ("IMMICH_API_KEY", "env-key"));

        var c = Load(Minimal, env).Config!;

        c.Server.Url.Should().Be(new Uri("https://env.example/base/"));
        c.Server.ApiKey.Should().Be("env-key");
    }

    [Fact]
    public void Empty_environment_values_are_ignored()
    {
        var c = Load(Minimal, Env(("IMMICH_URL", ""), ("IMMICH_API_KEY", "  "))).Config!;

        c.Server.Url.Should().Be(new Uri("http://nas.home:2283/"));
        c.Server.ApiKey.Should().Be("k-123");
    }

    [Fact]
    public void Environment_alone_can_replace_the_server_block()
    {
        var result = Load("enable_album_name_strip: true\n", Env(("IMMICH_URL", "http://x:1"), ("IMMICH_API_KEY", "k")));

        result.IsValid.Should().BeTrue();
        result.Config!.Server.Url.Should().Be(new Uri("http://x:1/"));
    }

    [Fact]
    public void Bad_environment_url_is_reported_against_the_variable()
    {
        var result = Load(Minimal, Env(("IMMICH_URL", "nas:2283")));

        result.IsValid.Should().BeFalse();
        var d = result.Errors.Should().ContainSingle().Subject;
        (d.File, d.KeyPath).Should().Be(("environment", "IMMICH_URL"));
    }

    [Fact]
    public void Server_config_ToString_never_shows_the_key()
    {
        Load(Minimal).Config!.Server.ToString().Should().NotContain("k-123");
    }
}
