using KalkiEdge.Core;

namespace KalkiEdge.ControlPlane.Registry;

/// <summary>
/// The devices of the running appliance, changeable at run time (dashboard, pairing). Every change is validated by
/// the same checks as <c>kalki-edge check</c>, committed to the store, then in force from the next frame — or
/// refused with every reason, changing nothing. Devices defined in kalki.yaml are listed but cannot be changed here.
/// </summary>
public interface IDeviceRegistry
{
    /// <summary>Every device, kalki.yaml's first, in name order.</summary>
    IReadOnlyList<RegisteredDevice> List();

    RegisteredDevice? Find(string name);

    /// <summary>Adds a device; <paramref name="actor"/> names who did it in the audit log.</summary>
    RegistryResult Add(DeviceSpec device, string actor);

    /// <summary>
    /// Adds a device whose chain is in force when this returns, before the store commits it (pairing: the device
    /// is defended from its next frame, not after a disk flush). The commit follows on the store's writer, in order
    /// with every later record of the device; <paramref name="committed"/> hears its outcome once: success (durable
    /// from then on, kill -9 included), or <see cref="RegistryFailure.StoreFailed"/> after the device was taken out
    /// again (its MAC is an unknown device's from the next frame). Until then a crash forgets the device: it must
    /// pair again, and meanwhile it is an unknown device (dropped by default).
    /// </summary>
    RegistryResult AddInForce(DeviceSpec device, string actor, Action<RegistryResult> committed);

    /// <summary>Replaces the runtime device <paramref name="name"/> (it may be renamed); a device whose type stays keeps its security state.</summary>
    RegistryResult Update(string name, DeviceSpec device, string actor);

    /// <summary>Deletes the runtime device: from the next frame its MAC is an unknown device's.</summary>
    RegistryResult Remove(string name, string actor);

    /// <summary>After every committed and applied change (not on the caller's hot path: keep handlers short).</summary>
    event Action<RegistryChange>? Changed;
}

/// <summary>
/// A device as submitted: the fields of a kalki.yaml device entry. Exactly one of <see cref="Type"/> (a pack),
/// <see cref="Image"/> (a μmbox image) and <see cref="Chain"/> (chain text). Credentials are for the device's monitor,
/// never shown or logged.
/// </summary>
public sealed record DeviceSpec(string Name, string Mac, IReadOnlyList<string> Ips)
{
    public string? Type { get; init; }

    public string? Image { get; init; }

    public string? Chain { get; init; }

    public string? Group { get; init; }

    public string Description { get; init; } = "";

    public string? CredentialsUser { get; init; }

    public string? CredentialsPassword { get; init; }

    /// <summary>Redacted: specs get printed and logged.</summary>
    public override string ToString() =>
        $"{Name} ({Type ?? Image ?? "chain"}, {Mac}{(Ips.Count == 0 ? "" : ", " + string.Join(" ", Ips))}{(CredentialsUser is null ? "" : ", credentials set")})";
}

public enum DeviceOrigin
{
    /// <summary>Defined in kalki.yaml: read-only at run time.</summary>
    Config,

    /// <summary>Added at run time; kept in the store.</summary>
    Runtime,
}

/// <summary>A registered device: what defines it and where it comes from.</summary>
public sealed record RegisteredDevice(DeviceSpec Spec, DeviceOrigin Origin);

public enum RegistryFailure
{
    None,

    /// <summary>The device fails validation: see the errors.</summary>
    Invalid,

    /// <summary>No device of that name.</summary>
    NotFound,

    /// <summary>The device is defined in kalki.yaml, which wins: change it there.</summary>
    ConfigDevice,

    /// <summary>The store could not commit the change; nothing was applied.</summary>
    StoreFailed,
}

/// <summary>
/// The outcome of a change. On failure nothing changed. Each error's <see cref="Diagnostic.File"/> names the
/// field it is about (<c>name</c>, <c>mac</c>, <c>ips</c>, <c>type</c>, <c>image</c>, <c>chain</c>, <c>credentials</c>, or
/// <c>device</c> for the whole entry); chain errors carry line and column within the chain text.
/// </summary>
public sealed record RegistryResult(RegistryFailure Failure, IReadOnlyList<Diagnostic> Errors, RegisteredDevice? Device)
{
    public bool Succeeded => Failure == RegistryFailure.None;

    public static RegistryResult Done(RegisteredDevice? device) => new(RegistryFailure.None, [], device);

    public static RegistryResult Refused(RegistryFailure failure, string field, string message) =>
        new(failure, [new Diagnostic(field, 0, 0, message)], null);
}

/// <summary>A committed change: the device now (null when deleted) and its previous name when it had one.</summary>
public sealed record RegistryChange(string Name, RegisteredDevice? Device, string? PreviousName);
