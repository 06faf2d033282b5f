using KalkiEdge.Management.Auth;
using KalkiEdge.Management.Live;

namespace KalkiEdge.Management;

/// <summary>Everything the management server's endpoints read and act on.</summary>
public sealed class ManagementContext
{
    public required Appliance.EdgeAppliance Appliance { get; init; }

    public required Accounts Accounts { get; init; }

    /// <summary>The dashboard's live stream (a sink of the appliance's event hub).</summary>
    public required DashboardStream Events { get; init; }

    /// <summary>The instruments /metrics exports; counts alerts, state changes and reaction times as a sink of the appliance's event hub.</summary>
    public required Metrics.ApplianceMetrics Metrics { get; init; }

    public required DeviceActivity Activity { get; init; }

    public required Func<HealthReport> Health { get; init; }

    /// <summary>μmbox images with their measurement and whether the signed manifest lists them.</summary>
    public required Func<IReadOnlyList<Api.ImageInfo>> Images { get; init; }

    /// <summary>
    /// The context for <paramref name="appliance"/>, with the dashboard's live stream, per-device activity and metrics
    /// hung on <paramref name="hub"/>, the appliance's event hub (before traffic flows: its sinks are fixed from then on).
    /// </summary>
    public static ManagementContext Attach(Appliance.EdgeAppliance appliance, Export.Events.EventHub hub, Accounts accounts, Func<HealthReport> health,
        Func<IReadOnlyList<Api.ImageInfo>> images, TimeSpan? activityPeriod = null)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        ArgumentNullException.ThrowIfNull(hub);
        var stream = new DashboardStream();
        var context = new ManagementContext
        {
            Appliance = appliance,
            Accounts = accounts,
            Events = stream,
            Activity = new DeviceActivity(appliance.Engine.Devices, stream, activityPeriod),
            Health = health,
            Images = images,
            Metrics = new Metrics.ApplianceMetrics(appliance, hub, stream),
        };
        hub.Add(context.Activity).Add(context.Metrics).Add(stream);
        return context;
    }

    internal OperatorActions Operator => _operator ??= new OperatorActions(Appliance);

    private OperatorActions? _operator;
}
