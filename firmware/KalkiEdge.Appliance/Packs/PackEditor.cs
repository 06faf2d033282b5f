using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Store;

namespace KalkiEdge.Appliance.Packs;

/// <summary>
/// Changes the device-type packs of the running appliance: the dashboard's policy editor replaces a type's pack, an
/// import adds a new type (or replaces the one it names). The submitted YAML passes the same loader and
/// <see cref="PackChecker"/> as <c>kalki-edge check</c>, with every other pack as it is in force; a rejected change
/// changes nothing. An accepted one is written to the data directory (<see cref="EditedPacks"/>), audited, then put
/// in force: every device of an edited type keeps its state and gets the new policy and its state's chain; a new
/// type can be given to a device at once. Changes are serialized.
/// </summary>
public sealed class PackEditor(EdgeAppliance appliance)
{
    /// <summary>The <see cref="Diagnostic.File"/> of errors in the submitted text (their line and column are within it).</summary>
    public const string SubmittedFile = "yaml";

    /// <summary>Device types the appliance holds at most (shipped and imported): each is a policy compiled in memory.</summary>
    public const int MaxPacks = 256;

    private readonly Lock _gate = new();

    /// <summary>Replaces the pack of <paramref name="type"/>, which must exist (the policy editor's save).</summary>
    public PackEditResult Replace(string type, string yaml, string actor)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(yaml);
        lock (_gate)
        {
            var packs = appliance.Packs;
            if (!packs.Any(p => p.Name == type))
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

            return edited is null || diagnostics.HasErrors ? PackEditResult.Invalid(diagnostics) : Apply(edited, yaml, actor, diagnostics);
        }
    }

    /// <summary>
    /// Imports a pack: a type no pack has yet becomes a new device type; a type that exists is replaced as by
    /// <see cref="Replace"/>. The type's name must be usable as a file name.
    /// </summary>
    public PackEditResult Import(string yaml, string actor)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        lock (_gate)
        {
            var diagnostics = new DiagnosticBag();
            var imported = PackLoader.Load(SubmittedFile, yaml, diagnostics);
            if (imported is not null && !appliance.Packs.Any(p => p.Name == imported.Name))
            {
                if (!DeviceName.IsValid(imported.Name))
                {
                    diagnostics.Error(imported.At, $"type '{Printable.Escape(Shorten(imported.Name))}' cannot name a new device type: use {DeviceName.Rule}");
                }

                if (appliance.Packs.Count >= MaxPacks)
                {
                    diagnostics.Error(imported.At, $"the appliance already holds {MaxPacks} device types; replace one instead of adding another");
                }
            }

            return imported is null || diagnostics.HasErrors ? PackEditResult.Invalid(diagnostics) : Apply(imported, yaml, actor, diagnostics);
        }
    }

    /// <summary>Checks <paramref name="pack"/> with every other pack in force, then saves it and puts it in force (under the gate).</summary>
    private PackEditResult Apply(DeviceTypePack pack, string yaml, string actor, DiagnosticBag diagnostics)
    {
        var type = pack.Name;
        var changed = appliance.Packs.ToList();
        var index = changed.FindIndex(p => p.Name == type);
        var created = index < 0;
        if (created)
        {
            changed.Add(pack);
            index = changed.Count - 1;
        }
        else
        {
            changed[index] = pack;
        }

        PackChecker.Check(changed, image => appliance.Images.TryGet(image, out var i) ? i.Chain.Text : null, diagnostics);
        PackMonitorArgs.Check(MonitorLibrary.CreateRegistry(), [pack], diagnostics);
        foreach (var group in appliance.Control.Devices.Values.Where(d => d.Pack.Name == type && !pack.States.Contains(d.State)).GroupBy(d => d.State))
        {
            diagnostics.Error(pack.At, $"pack '{type}' no longer has state '{group.Key}', in which {string.Join(", ", group.Select(d => d.Name).Order(StringComparer.Ordinal))} are now: reset them first, or keep the state");
        }

        if (diagnostics.HasErrors)
        {
            return PackEditResult.Invalid(diagnostics);
        }

        if (Commit(type, yaml, actor, created ? "pack-import" : "pack-edit") is { } failed)
        {
            return failed;
        }

        // The loader's positions name the submitted text; the pack in force names its file (GET shows it).
        var saved = PackLoader.Load(EditedPacks.FileFor(appliance.Config.DataDir, type), yaml, new DiagnosticBag()) ?? pack;
        changed[index] = saved;
        if (created)
        {
            // The control plane knows the type before any device can name it.
            appliance.Control.AddPack(saved);
            appliance.Packs = changed;
            return new PackEditResult(PackEditFailure.None, [], saved, []) { Created = true };
        }

        appliance.Packs = changed;
        var devices = appliance.Control.ReplacePack(saved);
        return new PackEditResult(PackEditFailure.None, [], saved, devices);
    }

    /// <summary>Writes the file and its audit entry; on any failure the previous file is put back and nothing changed.</summary>
    private PackEditResult? Commit(string type, string yaml, string actor, string action)
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
            appliance.Store?.Store.AppendAudit(new AuditEntry(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000, actor, action, $"{type} ({yaml.Length} characters)"));
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

/// <summary>The outcome of a pack edit or import: on failure nothing changed; on success the pack in force and the devices moved to it.</summary>
public sealed record PackEditResult(PackEditFailure Failure, IReadOnlyList<Diagnostic> Errors, DeviceTypePack? Pack, IReadOnlyList<string> Devices)
{
    public bool Succeeded => Failure == PackEditFailure.None;

    /// <summary>The pack is a new device type (an import), not a replacement.</summary>
    public bool Created { get; init; }

    public static PackEditResult Refused(PackEditFailure failure, string message) => new(failure, [new Diagnostic("pack", 0, 0, message)], null, []);

    public static PackEditResult Invalid(DiagnosticBag diagnostics) => new(PackEditFailure.Invalid, [.. diagnostics.Items], null, []);
}
