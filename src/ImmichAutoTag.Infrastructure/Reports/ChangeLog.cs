using System.Globalization;
using System.Text.Json;
using ImmichAutoTag.Core.Engine;

namespace ImmichAutoTag.Infrastructure.Reports;

/// <summary>A run's <c>changes.jsonl</c> cannot be found or read; the message names the file (and line) and what is wrong.</summary>
public sealed class ChangeLogException : Exception
{
    /// <summary>Creates the exception with the message a user sees.</summary>
    public ChangeLogException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the message a user sees.</summary>
    public ChangeLogException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ChangeLogException()
        : base("The run's changes.jsonl cannot be read.")
    {
    }
}

/// <summary>Reads back the changes a run recorded in its <c>changes.jsonl</c> (written by <see cref="ReportWriter.Changes(IReadOnlyList{AppliedChange})"/>).</summary>
public static class ChangeLog
{
    private static readonly Dictionary<string, ChangeKind> Kinds = new(StringComparer.Ordinal)
    {
        ["ADD_TAG_TO_ASSET"] = ChangeKind.Added,
        ["REMOVE_TAG_FROM_ASSET"] = ChangeKind.Removed,
        ["ASSIGN_ASSET_TO_ALBUM"] = ChangeKind.AddedToAlbum,
        ["CREATE_ALBUM"] = ChangeKind.AlbumCreated,
        ["REMOVE_ASSET_FROM_ALBUM"] = ChangeKind.RemovedFromAlbum,
        ["DELETE_ALBUM"] = ChangeKind.AlbumDeleted,
        ["ALBUM_PERMISSION_SHARED"] = ChangeKind.AlbumShared,
        ["ALBUM_PERMISSION_ROLE_CHANGED"] = ChangeKind.AlbumRoleChanged,
        ["ALBUM_PERMISSION_REMOVED"] = ChangeKind.AlbumUnshared,
        ["UPDATE_ASSET_DATE"] = ChangeKind.DateUpdated,
        ["UPDATE_ASSET_FAVORITE"] = ChangeKind.FavoriteChanged,
        ["UPDATE_ASSET_VISIBILITY"] = ChangeKind.ArchiveChanged,
    };

    private static readonly Dictionary<string, ChangeKind> Actions = new(StringComparer.Ordinal)
    {
        ["added"] = ChangeKind.Added,
        ["removed"] = ChangeKind.Removed,
        ["added_to_album"] = ChangeKind.AddedToAlbum,
        ["album_created"] = ChangeKind.AlbumCreated,
        ["removed_from_album"] = ChangeKind.RemovedFromAlbum,
        ["album_deleted"] = ChangeKind.AlbumDeleted,
        ["date_updated"] = ChangeKind.DateUpdated,
        ["favorite_changed"] = ChangeKind.FavoriteChanged,
        ["visibility_changed"] = ChangeKind.ArchiveChanged,
    };

    /// <summary>
    /// The run folder of <paramref name="runIdOrFolder"/>: a run id under <paramref name="outputRoot"/> (e.g.
    /// <c>20261130_054500_PID42</c>), or the path of a run folder.
    /// </summary>
    /// <exception cref="ChangeLogException">No such run folder, or it has no changes.jsonl; the message says where it looked.</exception>
    public static string FileOf(string runIdOrFolder, string outputRoot)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runIdOrFolder);
        var folder = Directory.Exists(runIdOrFolder) && runIdOrFolder.IndexOfAny(['/', '\\']) >= 0
            ? Path.GetFullPath(runIdOrFolder)
            : Path.Combine(outputRoot, runIdOrFolder);
        if (!Directory.Exists(folder))
        {
            throw new ChangeLogException($"no run '{runIdOrFolder}' in {outputRoot} (no folder {folder}); give a run id from the output folder (--output) or the path of a run folder");
        }

        var file = Path.Combine(folder, RunFolder.ChangesFile);
        return File.Exists(file)
            ? file
            : throw new ChangeLogException($"run folder {folder} has no {RunFolder.ChangesFile} (a dry run or an interrupted run records no changes)");
    }

    /// <summary>Every change of the file, in its order.</summary>
    /// <exception cref="ChangeLogException">A line is not a change record; the message gives file:line and the field.</exception>
    public static IReadOnlyList<AppliedChange> Read(string file)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChangeLogException($"{file}: cannot be read: {e.Message}", e);
        }

        var changes = new List<AppliedChange>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            var where = string.Create(CultureInfo.InvariantCulture, $"{file}:{i + 1}");
            ChangeLine? line;
            try
            {
                line = JsonSerializer.Deserialize(lines[i], ChangeLineContext.Default.ChangeLine);
            }
            catch (JsonException e)
            {
                throw new ChangeLogException($"{where}: not a change record: {Describe(e)}", e);
            }

            changes.Add(ToChange(line ?? throw new ChangeLogException($"{where}: not a change record (null)"), where));
        }

        return changes;
    }

    /// <summary>
    /// What is wrong with a line, in the file's own terms: System.Text.Json's messages name .NET types and count lines
    /// from 0 within the one-line document, which only confuses a reader of changes.jsonl.
    /// </summary>
    private static string Describe(JsonException e)
    {
        var column = e.BytePositionInLine is { } b ? string.Create(CultureInfo.InvariantCulture, $" (column {b + 1})") : string.Empty;
        // Conversion failures are the only ones whose message says "could not be converted"; the rest are syntax.
        var wrongKind = e.Message.Contains("could not be converted", StringComparison.Ordinal);
        return wrongKind && e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal)
            ? $"'{path[2..]}' has a value of the wrong kind{column}"
            : $"not valid JSON{column}";
    }

    private static AppliedChange ToChange(ChangeLine line, string where)
    {
        var kind = line.Kind is { } k && Kinds.TryGetValue(k, out var byKind) ? byKind
            : line.Action is { } a && Actions.TryGetValue(a, out var byAction) ? byAction
            : throw new ChangeLogException($"{where}: unknown change kind '{line.Kind ?? line.Action}'");
        if (!DateTimeOffset.TryParse(line.Time, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            throw new ChangeLogException($"{where}: 'time' is not a date: '{line.Time}'");
        }

        var needsAsset = kind is ChangeKind.Added or ChangeKind.Removed or ChangeKind.AddedToAlbum or ChangeKind.RemovedFromAlbum or ChangeKind.DateUpdated or ChangeKind.FavoriteChanged or ChangeKind.ArchiveChanged;
        if (needsAsset && line.AssetId == Guid.Empty)
        {
            throw new ChangeLogException($"{where}: 'asset_id' is missing");
        }

        if (kind is ChangeKind.Added or ChangeKind.Removed && string.IsNullOrEmpty(line.Tag))
        {
            throw new ChangeLogException($"{where}: 'tag' is missing");
        }

        if (kind is not (ChangeKind.Added or ChangeKind.Removed or ChangeKind.DateUpdated or ChangeKind.FavoriteChanged or ChangeKind.ArchiveChanged) && line.AlbumId is null)
        {
            throw new ChangeLogException($"{where}: 'album_id' is missing");
        }

        return new AppliedChange(line.AssetId, line.FileName ?? string.Empty, line.Tag ?? string.Empty, kind, at)
        {
            AlbumId = line.AlbumId,
            AlbumName = line.AlbumName,
            OldValue = line.OldValue,
            NewValue = line.NewValue,
            UserId = line.UserId,
            SidecarSeed = line.SidecarCreatedWith,
        };
    }
}
