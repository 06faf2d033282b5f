namespace KalkiEdge.Appliance.Config;

/// <summary>A top-level section of kalki.yaml that a module other than the site loader reads.</summary>
public sealed record SiteSection(string Name, string Reader);

/// <summary>A top-level name kept for a module that does not read it yet, and why it is refused.</summary>
public sealed record ReservedSection(string Name, string Why);

/// <summary>
/// The registry of kalki.yaml's module-owned sections. The loader accepts exactly the sections listed in
/// <see cref="Read"/> and hands them over untouched; a module that starts reading a section registers it here (and
/// removes it from <see cref="Reserved"/>). A reserved section is refused, so a setting nothing applies never
/// looks as if it were in force.
/// </summary>
public static class SiteSections
{
    public static readonly IReadOnlyList<SiteSection> Read =
    [
        new("interfaces", "the live bridge: device ports, uplink, capture settings (InterfacesConfig)"),
        new("hypervisor", "the hypervisor shim: backend and device node (HypervisorSettings)"),
        new("signing", "packet signing: mode, batch size, hold time (SigningOptions)"),
        new("management", "the management server and the operator's control socket (ManagementSettings)"),
        new("eve", "alerts and transitions as Suricata EVE JSON: file, rotation, journal, remote syslog (EveSettings)"),
        new("panel", "the field panel: button, LCD, pairing window and fingerprinting (PanelSettings)"),
        new("sensors", "the appliance's own sensors: BME280 on I2C, digital inputs on GPIO, attached to a device or the site (OnboardSensorSettings)"),
        new("camera-events", "where monitored cameras push motion: SMTP and HTTP ports on the device-side address (CameraEventSettings)"),
        new("fleet", "the site's MQTT broker: events, retained state and operators' commands (FleetSettings)"),
        new("engine", "engine threads a capture's devices are spread over (EngineSettings)"),
    ];

    public static readonly IReadOnlyList<ReservedSection> Reserved =
    [
        new("retention", "store retention is fixed: records older than 7 days or beyond 200,000 rows per table are pruned"),
        new("store", "the store's only setting is 'data-dir'"),
        new("telemetry", "device monitors are configured per device ('monitor:' and 'credentials:')"),
        new("policy", "policies come from the device-type packs (umboxes/packs)"),
        new("simulation", "the simulation is the built-in profile: 'kalki-edge run' without --config"),
    ];
}
