using KalkiEdge.Appliance.Config;
using KalkiEdge.ControlPlane;
using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Store;
using Microsoft.Data.Sqlite;

namespace KalkiEdge.Appliance.Registry;

/// <summary>
/// The running appliance's devices: kalki.yaml's (read-only here: the file wins, so an edit to it always takes
/// effect) and those added at run time, kept in the store and rebuilt at start after kalki.yaml's. A change is
/// checked with the site-config checks (<see cref="SiteConfigLoader.ParseDevice"/>, <see cref="SiteConfigLoader.CheckUnique"/>,
/// the appliance's chain resolution, attestation), committed with its audit entry, then applied: the device's
/// slot is built with its defense in force before the engine can find it, so a capture thread sees the old
/// device whole or the new one whole. Changes are serialized; reads are safe from any thread.
/// </summary>
public sealed class DeviceRegistry : IDeviceRegistry
{
    public const int MaxDescription = 500;
    public const int MaxChainText = 8192;
    public const int MaxCredential = 256;

    private readonly EdgeAppliance _appliance;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DeviceConfig> _configDevices;
    private volatile Dictionary<string, Entry> _runtime = new(StringComparer.Ordinal); // copy on write: readers never lock
    private readonly List<string> _startupWarnings = [];
    private readonly List<string> _startupNotes = [];
    private int _uncommitted; // devices added in force whose commit has not answered yet

    private DeviceRegistry(EdgeAppliance appliance)
    {
        _appliance = appliance;
        _configDevices = new(StringComparer.Ordinal);
        foreach (var device in appliance.Config.Devices)
        {
            _configDevices.TryAdd(device.Name, device); // the first of a name, as a lookup in the list finds it
        }
    }

    public event Action<RegistryChange>? Changed;

    /// <summary>Runtime devices from the store that could not be applied at start (e.g. kalki.yaml now names the same device).</summary>
    public IReadOnlyList<string> StartupWarnings => _startupWarnings;

    /// <summary>What became of the stored runtime devices' MUD files at start (in force, or why not).</summary>
    public IReadOnlyList<string> StartupNotes => _startupNotes;

    /// <summary>Builds the registry and applies the store's runtime devices (after kalki.yaml's, which win every clash).</summary>
    internal static DeviceRegistry Open(EdgeAppliance appliance)
    {
        var registry = new DeviceRegistry(appliance);
        foreach (var record in appliance.Store?.Store.LoadRuntimeDevices() ?? [])
        {
            var spec = DeviceSpecs.FromRecord(record);
            var diagnostics = new DiagnosticBag();
            var (config, chain) = registry.Validate(spec, replacing: null, diagnostics);
            DeviceSlot? slot = null;
            if (config is not null)
            {
                slot = appliance.CreateSlot(config, chain);
                appliance.ApplyStoredMud(record.Name, record.Type, record.Mud, line => registry._startupNotes.Add($"runtime device '{record.Name}': {line}"));
                if (registry.Publish(slot, previous: null, diagnostics) is false)
                {
                    appliance.Control.Unregister(slot.Name);
                    slot = null;
                }
            }

            if (slot is null)
            {
                registry._startupWarnings.Add($"runtime device '{record.Name}' from the store is not applied (kalki.yaml wins; fix or delete it): {string.Join("; ", diagnostics.Items.Select(d => d.Message))}");
                continue;
            }

            registry._runtime[record.Name] = new Entry(spec, config!, slot) { Mud = record.Mud };
        }

        return registry;
    }

    public IReadOnlyList<RegisteredDevice> List() =>
        [.. _appliance.Config.Devices.Select(FromConfig), .. _runtime.Values.Select(e => e.Registered).OrderBy(d => d.Spec.Name, StringComparer.Ordinal)];

    public RegisteredDevice? Find(string name) =>
        _runtime.TryGetValue(name, out var e) ? e.Registered
        : _configDevices.TryGetValue(name, out var configured) ? FromConfig(configured)
        : null;

    // kalki.yaml's devices are described from the site config when asked: a spec kept for each would hold a second
    // copy of every name, MAC and address as text (about 300 bytes a device, 3 MB at 10,000 devices).
    private static RegisteredDevice FromConfig(DeviceConfig device) => new(DeviceSpecs.FromConfig(device), DeviceOrigin.Config);

    public RegistryResult Add(DeviceSpec device, string actor)
    {
        ArgumentNullException.ThrowIfNull(device);
        RegisteredDevice registered;
        lock (_gate)
        {
            var diagnostics = new DiagnosticBag();
            var (config, chain) = Validate(device, replacing: null, diagnostics);
            if (config is null)
            {
                return Invalid(diagnostics);
            }

            if (Commit(DeviceSpecs.ToRecord(device, config), null, new AuditEntry(Now(), actor, "device-add", device.ToString())) is { } failed)
            {
                return failed;
            }

            var slot = _appliance.CreateSlot(config, chain, InitialState(device.Type));
            if (!Publish(slot, previous: null, diagnostics))
            {
                _appliance.Control.Unregister(slot.Name);
                _appliance.Store?.Store.DeleteRuntimeDevice(device.Name, new AuditEntry(Now(), actor, "device-add-undone", device.Name));
                return Invalid(diagnostics);
            }

            registered = Put(null, new Entry(device, config, slot));
        }

        Changed?.Invoke(new RegistryChange(device.Name, registered, null));
        return RegistryResult.Done(registered);
    }

    public RegistryResult AddInForce(DeviceSpec device, string actor, Action<RegistryResult> committed)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(committed);
        RegisteredDevice registered;
        Entry entry;
        lock (_gate)
        {
            var diagnostics = new DiagnosticBag();
            var (config, chain) = Validate(device, replacing: null, diagnostics);
            if (config is null)
            {
                return Invalid(diagnostics);
            }

            var slot = _appliance.CreateSlot(config, chain, InitialState(device.Type));
            if (!Publish(slot, previous: null, diagnostics))
            {
                _appliance.Control.Unregister(slot.Name);
                return Invalid(diagnostics);
            }

            entry = new Entry(device, config, slot);
            registered = Put(null, entry);
            if (_appliance.Store is { } store)
            {
                Interlocked.Increment(ref _uncommitted);
                store.Writer.RuntimeDevice(DeviceSpecs.ToRecord(device, config), new AuditEntry(Now(), actor, "device-add", device.ToString()),
                    error => Task.Run(() => Committed(entry, error, committed))); // off the writer thread: a rollback takes the gate
            }
        }

        Changed?.Invoke(new RegistryChange(device.Name, registered, null));
        if (_appliance.Store is null)
        {
            committed(RegistryResult.Done(registered));
        }

        return RegistryResult.Done(registered);
    }

    /// <summary>The store's answer for a device added in force: keep it, or take it out again and say why.</summary>
    private void Committed(Entry entry, string? error, Action<RegistryResult> committed)
    {
        var name = entry.Spec.Name;
        var rolledBack = false;
        lock (_gate)
        {
            Interlocked.Decrement(ref _uncommitted);
            // An operator's edit or deletion since then waited for this commit and decided the device's fate itself.
            if (error is not null && _runtime.TryGetValue(name, out var current) && ReferenceEquals(current, entry))
            {
                _appliance.Engine.Devices.Remove(entry.Slot);
                _appliance.Control.Unregister(name);
                Put(name, null);
                rolledBack = true;
            }
        }

        if (rolledBack)
        {
            Changed?.Invoke(new RegistryChange(name, null, null));
        }

        committed(error is null
            ? RegistryResult.Done(entry.Registered)
            : RegistryResult.Refused(RegistryFailure.StoreFailed, "device", $"the store could not commit device '{name}' ({error}); it was taken out again and its MAC is an unknown device's"));
    }

    /// <summary>
    /// Waits for the commits of devices added in force, so a later synchronous change is written after them (a
    /// deletion must not be overtaken by the insert it deletes). Called under the gate: their outcomes wait for it.
    /// </summary>
    private void AwaitUncommitted()
    {
        if (Volatile.Read(ref _uncommitted) > 0)
        {
            _appliance.Store?.Writer.Flush(TimeSpan.FromSeconds(10));
        }
    }

    public RegistryResult Update(string name, DeviceSpec device, string actor)
    {
        ArgumentNullException.ThrowIfNull(device);
        RegisteredDevice registered;
        lock (_gate)
        {
            AwaitUncommitted();
            if (Refusal(name) is { } refused)
            {
                return refused;
            }

            var old = _runtime[name];
            var diagnostics = new DiagnosticBag();
            var (config, chain) = Validate(device, replacing: name, diagnostics);
            if (config is null)
            {
                return Invalid(diagnostics);
            }

            // The MUD file described the device as its pack saw it: kept (under a new name too) while the type stays.
            var mud = old.Spec.Type == device.Type ? old.Mud : null;
            if (Commit(DeviceSpecs.ToRecord(device, config) with { Mud = mud }, name, new AuditEntry(Now(), actor, "device-edit", $"{name} -> {device}"), writeMud: old.Mud is not null) is { } failed)
            {
                return failed;
            }

            var before = _appliance.Control.Unregister(name);
            var state = before is not null && before.Pack.Name == device.Type ? before.State : InitialState(device.Type);
            var slot = _appliance.CreateSlot(config, chain, state);
            _appliance.ApplyStoredMud(device.Name, device.Type, mud, line => _appliance.LogNow(device.Name, "mud", line));
            if (!Publish(slot, old.Slot, diagnostics))
            {
                // A third device took an address meanwhile: put the old device back as it was.
                _appliance.Control.Unregister(slot.Name);
                if (before is not null)
                {
                    _appliance.Control.Register(old.Slot, before.Pack.Name, before.Group, before.SamplingIntervalMicros, before.State);
                    _appliance.ApplyStoredMud(name, before.Pack.Name, old.Mud, line => _appliance.LogNow(name, "mud", line));
                }

                _appliance.Store?.Store.SaveRuntimeDevice(DeviceSpecs.ToRecord(old.Spec, old.Config) with { Mud = old.Mud }, device.Name, new AuditEntry(Now(), actor, "device-edit-undone", name), writeMud: old.Mud is not null);
                return Invalid(diagnostics);
            }

            registered = Put(name, new Entry(device, config, slot) { Mud = mud });
        }

        Changed?.Invoke(new RegistryChange(device.Name, registered, name));
        return RegistryResult.Done(registered);
    }

    public RegistryResult Remove(string name, string actor)
    {
        lock (_gate)
        {
            AwaitUncommitted();
            if (Refusal(name) is { } refused)
            {
                return refused;
            }

            var old = _runtime[name];
            try
            {
                _appliance.Store?.Store.DeleteRuntimeDevice(name, new AuditEntry(Now(), actor, "device-delete", old.Spec.ToString()));
            }
            catch (SqliteException e)
            {
                return RegistryResult.Refused(RegistryFailure.StoreFailed, "device", $"the store could not commit the deletion ({e.Message}); nothing changed");
            }

            // MAC first: from the next frame this MAC is an unknown device's; a frame in flight finishes on the old chain.
            _appliance.Engine.Devices.Remove(old.Slot);
            _appliance.Control.Unregister(name);
            Put(name, null);
        }

        Changed?.Invoke(new RegistryChange(name, null, null));
        return RegistryResult.Done(null);
    }

    /// <summary>
    /// Keeps the MUD file now in force for a runtime device (paired with a MUD URL): with its entry, so an edit that
    /// keeps its type keeps it, and in the store, queued behind the device's own commit, so it is in force again
    /// after a restart. False when no runtime device has that name.
    /// </summary>
    public bool KeepMud(string name, RuntimeDeviceMud mud)
    {
        ArgumentNullException.ThrowIfNull(mud);
        lock (_gate)
        {
            if (!_runtime.TryGetValue(name, out var entry))
            {
                return false;
            }

            Put(name, entry with { Mud = mud });
            _appliance.Store?.Writer.RuntimeDeviceMud(name, mud, new AuditEntry(Now(), "panel", "device-mud", $"{name}: {mud.Url}"),
                stored => { if (!stored) { _appliance.LogNow(name, "mud", $"the MUD file {mud.Url} was not stored (the device's commit failed or it was deleted)"); } });
            return true;
        }
    }

    /// <summary>The MUD file kept for a runtime device; null when it has none.</summary>
    public RuntimeDeviceMud? MudOf(string name) => _runtime.TryGetValue(name, out var e) ? e.Mud : null;

    /// <summary>Every check kalki-edge check makes for a device entry, against kalki.yaml's and the other runtime devices.</summary>
    private (DeviceConfig? Config, ChainDefinition? Chain) Validate(DeviceSpec spec, string? replacing, DiagnosticBag diagnostics)
    {
        RuntimeLimits.Check(spec, diagnostics);
        var config = SiteConfigLoader.ParseDevice(DeviceSpecs.ToNode(spec), diagnostics);
        if (config is null || diagnostics.HasErrors)
        {
            return (null, null);
        }

        var others = _appliance.Config.Devices.Concat(_runtime.Values.Where(e => e.Spec.Name != replacing).Select(e => e.Config));
        SiteConfigLoader.CheckUnique(others.Append(config), diagnostics);
        var chain = _appliance.Resolver.Resolve(config, diagnostics);
        if (chain is { Image: not null } && !diagnostics.HasErrors && !_appliance.Attest(chain, out var reason))
        {
            diagnostics.Error(config.ChainAt, $"device '{spec.Name}': image '{chain.Image}' failed attestation: {reason}");
        }

        return diagnostics.HasErrors ? (null, null) : (config, chain);
    }

    /// <summary>Makes the slot visible to the engine (in place of <paramref name="previous"/>); false with the reason when an address or the MAC is taken.</summary>
    private bool Publish(DeviceSlot slot, DeviceSlot? previous, DiagnosticBag diagnostics)
    {
        try
        {
            if (previous is null)
            {
                _appliance.Engine.Devices.Add(slot);
            }
            else
            {
                _appliance.Engine.Devices.Replace(previous, slot);
            }

            return true;
        }
        catch (ArgumentException e)
        {
            // Validation saw the configured bindings; an address another device learned from its traffic shows only here.
            diagnostics.Error(new SourceSpan(e.Message.Contains(" IP ", StringComparison.Ordinal) ? "ips" : "mac", 0, 0), e.Message.Replace(" (Parameter 'device')", "", StringComparison.Ordinal).Replace(" (Parameter 'next')", "", StringComparison.Ordinal));
            return false;
        }
    }

    private RegistryResult? Commit(RuntimeDeviceRecord record, string? previousName, AuditEntry audit, bool writeMud = false)
    {
        try
        {
            _appliance.Store?.Store.SaveRuntimeDevice(record, previousName, audit, writeMud);
            return null;
        }
        catch (SqliteException e)
        {
            return RegistryResult.Refused(RegistryFailure.StoreFailed, "device", $"the store could not commit the change ({e.Message}); nothing changed");
        }
    }

    private RegistryResult? Refusal(string name) =>
        _configDevices.ContainsKey(name) ? RegistryResult.Refused(RegistryFailure.ConfigDevice, "name", $"device '{name}' is defined in {_appliance.Config.File}, which wins over run-time changes: change it there")
        : !_runtime.ContainsKey(name) ? RegistryResult.Refused(RegistryFailure.NotFound, "name", $"no device named '{name}'")
        : null;

    private RegisteredDevice Put(string? removed, Entry? added)
    {
        var next = new Dictionary<string, Entry>(_runtime, StringComparer.Ordinal);
        if (removed is not null)
        {
            next.Remove(removed);
        }

        if (added is not null)
        {
            next[added.Spec.Name] = added;
        }

        _runtime = next;
        return added?.Registered!;
    }

    private string? InitialState(string? type) => type is null ? null : _appliance.Packs.FirstOrDefault(p => p.Name == type)?.Initial;

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    private static RegistryResult Invalid(DiagnosticBag diagnostics) => new(RegistryFailure.Invalid, diagnostics.Items, null);

    private sealed record Entry(DeviceSpec Spec, DeviceConfig Config, DeviceSlot Slot)
    {
        public RuntimeDeviceMud? Mud { get; init; }

        public RegisteredDevice Registered { get; } = new(Spec, DeviceOrigin.Runtime);
    }
}
