using System.CommandLine;
using ImmichAutoTag.Cli.Daemon;
using ImmichAutoTag.Config;
using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.Cli.Commands;

internal static class ValidateCommand
{
    public static Command Create(CliContext context)
    {
        var config = CommonOptions.Config();
        var command = new Command("validate", "Check a config file and exit: all errors at once, with file:line:column and key.")
        {
            config,
        };
        command.SetAction(async (parse, _) =>
        {
            // The daemon's environment is checked too (a container's settings), with the config's errors: all at once.
            string[] environment = [.. new[] { DaemonEnvironment.ScheduleProblem(context.Environment), DaemonEnvironment.TimeZoneProblem(context.Environment) }.OfType<string>()];
            var loaded = await ConfigResolution.LoadAsync(parse.GetValue(config), context, ValidateClipModel).ConfigureAwait(false);
            foreach (var problem in environment)
            {
                await context.Err.WriteLineAsync($"error: {problem}").ConfigureAwait(false);
            }

            if (environment.Length > 0)
            {
                await context.Err.WriteLineAsync($"{environment.Length} error(s) in the environment the daemon reads; nothing was sent to the server.").ConfigureAwait(false);
            }

            if (loaded is null || environment.Length > 0)
            {
                return (int)RunExitCode.ConfigInvalid;
            }

            if (loaded.Clip.Enabled)
            {
                // The run warns the same way at its start; here before anything is encoded.
                foreach (var warning in LongPrompts(loaded.Clip))
                {
                    await context.Err.WriteLineAsync($"warning: {loaded.SourcePath}: {warning}").ConfigureAwait(false);
                }

                // The run stops on such a label set (exit 3) before it scores anything: say so here too.
                if (await UnusablePromptsAsync(loaded.Clip).ConfigureAwait(false) is { } unusable)
                {
                    await context.Err.WriteLineAsync($"error: {loaded.SourcePath}: {unusable}").ConfigureAwait(false);
                    await context.Err.WriteLineAsync($"1 error(s) in {loaded.SourcePath}; nothing was sent to the server.").ConfigureAwait(false);
                    return (int)RunExitCode.ConfigInvalid;
                }
            }

            if (loaded.Sidecars.Enabled)
            {
                // The run would warn per asset and exit 8; the mount is missing before any asset is read.
                foreach (var mapping in loaded.Sidecars.PathMappings.Where(m => Path.IsPathRooted(m.LocalPath) && !Directory.Exists(m.LocalPath)))
                {
                    await context.Err.WriteLineAsync($"warning: {loaded.SourcePath}: sidecars.path_mappings: local_path {mapping.LocalPath} (for {mapping.ImmichPath}) does not exist here: mount the library there, writable, or fix the mapping; until then its assets' sidecars cannot be written").ConfigureAwait(false);
                }
            }

            await context.Out.WriteLineAsync(
                $"Read {loaded.SourcePath}: valid ({loaded.Classification.Rules.Count} classification rule(s), server {Core.Configuration.UrlRedaction.Redact(loaded.Server.Url)}).")
                .ConfigureAwait(false);
            return (int)RunExitCode.Success;
        });
        return command;
    }

    /// <summary>Prompts longer than the model's context length (read with the model's own tokenizer); none when it cannot be read.</summary>
    private static IReadOnlyList<string> LongPrompts(Core.Configuration.ClipConfig clip)
    {
        try
        {
            var tokenizer = Infrastructure.Clip.ClipTokenizer.Load(Infrastructure.Clip.ClipModelFolder.Locate(clip.ModelFolder, clip.ModelName));
            return Core.Enrichment.Clip.ClipPromptChecks.TooLong(
                clip.Labels.Select(l => new Core.Enrichment.Clip.ClipLabel(l.Name, l.Prompts)),
                p => new Core.Enrichment.Clip.ClipPromptLength(tokenizer.CountTokens(p), tokenizer.ContextLength));
        }
        catch (Exception e) when (e is Infrastructure.Clip.ClipModelException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            // A tokenizer the run cannot read is reported when the run loads the text tower.
            return [];
        }
    }

    /// <summary>
    /// Encodes the label set's prompts with the model's text tower, as a run does before it scores anything: the
    /// message naming every prompt that embeds to a zero vector (the run stops on those with exit 3); null when all
    /// are usable, or when the text tower cannot be loaded here (the model check above, or the run, reports that).
    /// </summary>
    private static async Task<string?> UnusablePromptsAsync(Core.Configuration.ClipConfig clip)
    {
        try
        {
            var model = Infrastructure.Clip.ClipModelFolder.Locate(clip.ModelFolder, clip.ModelName);
            using var text = new Infrastructure.Clip.OnnxClipTextEncoder(model, model.ComputeId(), new Infrastructure.Clip.ClipRuntimeOptions(UseCuda: false));
            var labels = clip.Labels.Select(l => new Core.Enrichment.Clip.ClipLabel(l.Name, l.Prompts)).ToList();
            await Core.Enrichment.Clip.ClipPromptEmbeddings.EmbedAsync(labels, text, store: null, CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (Core.Enrichment.Clip.ClipLabelSetException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A model the runtime cannot load is the run's to report, with its own message; validate checked the files.
            return null;
        }
    }

    /// <summary>
    /// With <c>clip.enabled</c>, the model a run would open: <c>clip.model_name</c> under <c>clip.model_folder</c> with
    /// both towers (<c>visual/model.onnx</c>, <c>textual/model.onnx</c>); what is wrong, or null when both are there.
    /// </summary>
    private static ClipModelProblem? ValidateClipModel(Core.Configuration.ClipConfig clip)
    {
        if (!clip.Enabled)
        {
            return null;
        }

        if (!Directory.Exists(clip.ModelFolder))
        {
            return new($"the folder {clip.ModelFolder} does not exist (mount Immich's model cache volume there, read-only is enough, or point clip.model_folder at it)", AboutModelName: false);
        }

        try
        {
            var model = Infrastructure.Clip.ClipModelFolder.Locate(clip.ModelFolder, clip.ModelName);
            return File.Exists(model.TextualModel)
                ? null
                : new($"CLIP model '{clip.ModelName}' in {model.Directory} has no textual/model.onnx (Immich downloads both towers on first use of smart search; run a smart search once, or copy the model folder whole)", AboutModelName: true);
        }
        catch (Infrastructure.Clip.ClipModelException e)
        {
            return new(e.Message, AboutModelName: true);
        }
    }
}
