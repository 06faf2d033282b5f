using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.Store;

namespace KalkiEdge.Appliance.Packs;

/// <summary>
/// Replaces a device type's pack on the running appliance (the dashboard's policy editor, a pack import). The
/// submitted YAML passes the same loader and <see cref="PackChecker"/> as <c>kalki-edge check</c>, with every other
/// pack as it is in force; a rejected edit changes nothing. An accepted one is written to the data directory
/// (<see cref="EditedPacks"/>), audited, then put in force: every device of the type keeps its state and gets the
/// new policy and its state's chain. Edits are serialized.
/// </summary>
public sealed class PackEditor(EdgeAppliance appliance)
{
    /// <summary>The <see cref="Diagnostic.File"/> of errors in the submitted text (their line and column are within it).</summary>
    public const string SubmittedFile = "yaml";

    private readonly Lock _gate = new();

    public PackEditResult Replace(string type, string yaml, string actor)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(yaml);
        lock (_gate)
        {
            var packs = appliance.Packs;
            var index = packs.ToList().FindIndex(p => p.Name == type);
            if (index < 0)
            {
                var near = Spelling.Hint(Spelling.Closest(type, packs.Select(p => p.Name)));
                return PackEditResult.Refused(PackEditFailure.NotFound, $"no pack named '{Shorten(type)}'{near}");
            }

            var diagnostics = new DiagnosticBag();
            var edited = PackLoader.Load(SubmittedFile, yaml, diagnostics);
            if (edited is not null && edited.Name != type)
            {
                diagnostics.Error(edited.At, $"the YAML defines type '{Shorten(edited.Name)}', not '{type}': a pack is saved under its own type");
            }

            if (edited is null || diagnostics.HasErrors)
            {
                return PackEditResult.Invalid(diagnostics);
            }

            var replaced = packs.ToList();
            replaced[index] = edited;
            PackChecker.Check(replaced, image => appliance.Images.TryGet(image, out var i) ? i.Chain.Text : null, diagnostics);
            foreach (var group in appliance.Control.Devices.Values.Where(d => d.Pack.Name == type && !edited.States.Contains(d.State)).GroupBy(d => d.State))
            {
                diagnostics.Error(edited.At, $"pack '{type}' no longer has state '{group.Key}', in which {string.Join(", ", group.Select(d => d.Name).Order(StringComparer.Ordinal))} are now: reset them first, or keep the state");
            }

            if (diagnostics.HasErrors)
            {
                return PackEditResult.Invalid(diagnostics);
            }

            if (Commit(type, yaml, actor) is { } failed)
            {
                return failed;
            }

            // The loader's positions name the submitted text; the pack in force names its file (GET shows it).
            var saved = PackLoader.Load(EditedPacks.FileFor(appliance.Config.DataDir, type), yaml, new DiagnosticBag()) ?? edited;
            replaced[index] = saved;
            appliance.Packs = replaced;
            var devices = appliance.Control.ReplacePack(saved);
            return new PackEditResult(PackEditFailure.None, [], saved, devices);
        }
    }

    /// <summary>Writes the file and its audit entry; on any failure the previous file is put back and nothing changed.</summary>
    private PackEditResult? Commit(string type, string yaml, string actor)
    {
        var dataDir = appliance.Config.DataDir;
        var file = EditedPacks.FileFor(dataDir, type);
        string? previous = null;
        try
        {
            previous = File.Exists(file) ? File.ReadAllText(file) : null;
            EditedPacks.Save(dataDir, type, yaml);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return PackEditResult.Refused(PackEditFailure.StoreFailed, $"the edited pack could not be written to {file} ({e.Message}); nothing changed");
        }

        try
        {
            appliance.Store?.Store.AppendAudit(new AuditEntry(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000, actor, "pack-edit", $"{type} ({yaml.Length} characters)"));
            return null;
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException or IOException)
        {
            try
            {
                if (previous is null)
                {
                    File.Delete(file);
                }
                else
                {
                    EditedPacks.Save(dataDir, type, previous);
                }
            }
            catch (Exception undo) when (undo is IOException or UnauthorizedAccessException)
            {
                return PackEditResult.Refused(PackEditFailure.StoreFailed, $"the store could not audit the edit ({e.Message}) and {file} could not be put back ({undo.Message}): the running policy is unchanged; the file wins at the next start");
            }

            return PackEditResult.Refused(PackEditFailure.StoreFailed, $"the store could not audit the edit ({e.Message}); nothing changed");
        }
    }

    private static string Shorten(string text) => text.Length > 64 ? text[..64] : text;
}

public enum PackEditFailure
{
    None,

    /// <summary>The loader or the checker rejected it: see the errors.</summary>
    Invalid,

    /// <summary>No pack of that type.</summary>
    NotFound,

    /// <summary>The file or its audit entry could not be written; nothing changed.</summary>
    StoreFailed,
}

/// <summary>The outcome of a pack edit: on failure nothing changed; on success the pack in force and the devices moved to it.</summary>
public sealed record PackEditResult(PackEditFailure Failure, IReadOnlyList<Diagnostic> Errors, DeviceTypePack? Pack, IReadOnlyList<string> Devices)
{
    public bool Succeeded => Failure == PackEditFailure.None;

    public static PackEditResult Refused(PackEditFailure failure, string message) => new(failure, [new Diagnostic("pack", 0, 0, message)], null, []);

    public static PackEditResult Invalid(DiagnosticBag diagnostics) => new(PackEditFailure.Invalid, [.. diagnostics.Items], null, []);
}
