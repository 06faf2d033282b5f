using KalkiEdge.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KalkiEdge.Management.Api;

/// <summary>Read-only views: overview, μmbox images, ips rules, audit log, alert types, site settings.</summary>
internal static class CatalogEndpoints
{
    // Sections whose text may carry secrets (device credentials, keys): named, not shown.
    private static readonly HashSet<string> Shown = new(StringComparer.Ordinal) { "interfaces", "management", "hypervisor", "signing", "retention", "store" };

    public static void Map(IEndpointRouteBuilder app, ManagementContext m)
    {
        var views = new DeviceViews(m);
        app.MapGet("/api/overview", () =>
        {
            var health = m.Health();
            var devices = views.All();
            var counts = devices.Where(d => d.State is not null).GroupBy(d => d.State!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            return Results.Json(new OverviewInfo(health.Version, health.Mode, health.Hypervisor, health.Signing, counts, devices), ApiJsonContext.Default.OverviewInfo);
        }).Produces<OverviewInfo>();

        app.MapGet("/api/images", () => Results.Json(m.Images(), ApiJsonContext.Default.IReadOnlyListImageInfo)).Produces<IReadOnlyList<ImageInfo>>();
        app.MapGet("/api/ips-rules", IResult () => Results.Json(IpsRuleViews.Of(m.Appliance), ApiJsonContext.Default.IReadOnlyListIpsRuleSetInfo)).Produces<IReadOnlyList<IpsRuleSetInfo>>();
        app.MapGet("/api/audit", (HttpContext context) =>
        {
            var limit = 200;
            if (context.Request.Query["limit"] is { Count: > 0 } text && (!int.TryParse(text[0], System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > Store.KalkiStore.MaxRowsPerRead))
            {
                return ApiErrors.Result(StatusCodes.Status400BadRequest, $"limit must be a whole number from 1 to {Store.KalkiStore.MaxRowsPerRead}");
            }

            return Results.Json<IReadOnlyList<AuditInfo>>([.. (m.Appliance.Store?.Store.Audit(limit) ?? []).Select(a => new AuditInfo(a.TimeMicros, a.Actor, a.Action, a.Detail))],
                ApiJsonContext.Default.IReadOnlyListAuditInfo);
        }).Produces<IReadOnlyList<AuditInfo>>();
        app.MapGet("/api/alert-types", () => Results.Json(AlertTypeList(m), ApiJsonContext.Default.IReadOnlyListAlertTypeInfo)).Produces<IReadOnlyList<AlertTypeInfo>>();
        app.MapGet("/api/settings", () =>
        {
            var c = m.Appliance.Config;
            var site = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["file"] = c.File,
                ["umboxes"] = c.UmboxesDir,
                ["dataDir"] = c.DataDir,
                ["unknownDevices"] = c.UnknownDevices.ToString().ToLowerInvariant(),
                ["networkBroadcast"] = c.NetworkBroadcastChain,
            };
            var sections = c.Sections.ToDictionary(s => s.Key, s => Shown.Contains(s.Key) ? s.Value.ToString() : "(configured; not shown: it may hold secrets)", StringComparer.Ordinal);
            return Results.Json(new SettingsInfo(site, sections), ApiJsonContext.Default.SettingsInfo);
        }).Produces<SettingsInfo>();
    }

    private static IReadOnlyList<AlertTypeInfo> AlertTypeList(ManagementContext m)
    {
        var packs = m.Appliance.Packs.SelectMany(p => p.AlertTypes.Select(a => (Type: a, Pack: p.Name)));
        var builtIn = AlertTypes.BuiltIn.Select(a => new AlertTypeInfo(a, "built-in", "raised by μmbox elements, the engine's identity checks, the watchdog or the operator"));
        var own = packs.Select(x => new AlertTypeInfo(x.Type, "pack", $"telemetry alert of pack '{x.Pack}'"));
        return [.. builtIn.Concat(own).DistinctBy(a => a.Name).OrderBy(a => a.Name, StringComparer.Ordinal)];
    }
}
