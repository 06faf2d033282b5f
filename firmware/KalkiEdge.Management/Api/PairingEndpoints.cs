using KalkiEdge.Management.Live;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KalkiEdge.Management.Api;

/// <summary>
/// Pairing from the dashboard's Add page: the window the panel's button opens (open or extend, close), the
/// candidates with their fingerprint verdicts, and accepting (admit now, through the runtime device registry) or
/// rejecting (stays an unknown device) one. Every action is audited with the user.
/// </summary>
internal static class PairingEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ManagementContext m)
    {
        var feed = new PairingFeed(m);
        app.MapGet("/api/pairing", () => Results.Json(feed.State(), ApiJsonContext.Default.PairingInfo)).Produces<PairingInfo>();
        app.MapPost("/api/pairing/open", (HttpContext context) => Window(context, m, feed, open: true)).Produces<PairingInfo>();
        app.MapPost("/api/pairing/close", (HttpContext context) => Window(context, m, feed, open: false)).Produces<PairingInfo>();
        app.MapPost("/api/pairing/candidates/{mac}/accept", async Task<IResult> (HttpContext context, string mac) =>
        {
            if (Candidate(feed, mac, out var value) is { } refused)
            {
                return refused;
            }

            var (mud, mudRefused) = await NamedMud(context, m).ConfigureAwait(false);
            if (mudRefused is not null)
            {
                return mudRefused;
            }

            var result = feed.Pairing!.Accept(value, mud);
            if (result is null)
            {
                return NoCandidate(mac);
            }

            Audit(m, context, "pairing-accept", $"{mac}: {result.Verdict.Pack} ({result.Verdict.Confidence}%) {(result.Admitted ? "admitted as " + result.Verdict.DeviceName : "not admitted: " + result.Detail)}{(mud is null ? "" : $"; MUD URL named: {mud}")}");
            return result.Admitted
                ? Results.Json(PairingFeed.Info(result), ApiJsonContext.Default.PairedInfo)
                : ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, $"the candidate was not admitted: {result.Detail}");
        }).Accepts<PairingAcceptBody>("application/json").Produces<PairedInfo>();
        app.MapPost("/api/pairing/candidates/{mac}/reject", (HttpContext context, string mac) =>
        {
            if (Candidate(feed, mac, out var value) is { } refused)
            {
                return refused;
            }

            if (!feed.Pairing!.Reject(value))
            {
                return NoCandidate(mac);
            }

            Audit(m, context, "pairing-reject", $"{mac}: stays an unknown device");
            feed.Changed();
            return Results.NoContent();
        });
    }

    private static IResult Window(HttpContext context, ManagementContext m, PairingFeed feed, bool open)
    {
        if (feed.Pairing is not { } pairing)
        {
            return Off();
        }

        var now = PairingFeed.Now();
        if (open)
        {
            pairing.Window.OpenOrExtend(now);
        }
        else
        {
            pairing.Cancel(now);
        }

        Audit(m, context, open ? "pairing-open" : "pairing-close", open ? $"window open for {pairing.Window.RemainingSeconds(now)} s" : "window closed");
        feed.Changed();
        return Results.Json(feed.State(), ApiJsonContext.Default.PairingInfo);
    }

    /// <summary>
    /// The MUD URL the administrator names for the device in the optional body (<c>{"mud": "https://..."}</c>): it
    /// takes the place of any the device announced. Refused (before the candidate is touched) when it is no https
    /// URL or when the site has nowhere to read MUD files from.
    /// </summary>
    private static async Task<(string? Url, IResult? Refused)> NamedMud(HttpContext context, ManagementContext m)
    {
        if (!ApiJson.HasBody(context))
        {
            return (null, null);
        }

        var (body, error) = await ApiJson.ReadAsync(context, ApiJsonContext.Default.PairingAcceptBody).ConfigureAwait(false);
        if (error is not null || body?.Mud is not { } url)
        {
            return (null, error);
        }

        if (Panel.Fingerprinting.Evidence.MudUrlProblem(url) is { } problem)
        {
            var shown = Core.Printable.Escape(url.Length > 80 ? url[..80] + "…" : url);
            var why = $"'{shown}' is not an https URL: {problem}";
            return (null, ApiErrors.Result(StatusCodes.Status400BadRequest, "mud: " + why, [new FieldError("mud", why)]));
        }

        return m.Appliance.ResolvesMud
            ? (url, null)
            : (null, ApiErrors.Result(StatusCodes.Status409Conflict, "mud: the site config's panel has no 'mud' section (dir, or fetch: true), so the device's MUD file could not be read",
                [new FieldError("mud", "this appliance reads no MUD files: the site config's panel needs a 'mud' section (dir, or fetch: true)")]));
    }

    /// <summary>The MAC parsed, or the response refusing the request.</summary>
    private static IResult? Candidate(PairingFeed feed, string mac, out ulong value)
    {
        value = 0;
        if (feed.Pairing is null)
        {
            return Off();
        }

        return DataPlane.Mac.TryParse(mac, out value)
            ? null
            : ApiErrors.Result(StatusCodes.Status400BadRequest, $"'{(mac.Length > 40 ? mac[..40] : mac)}' is not a MAC address (six pairs of hex digits separated by ':' or '-')", [new FieldError("mac", "not a MAC address")]);
    }

    private static IResult NoCandidate(string mac) =>
        ApiErrors.Result(StatusCodes.Status404NotFound, $"{mac} is not a pairing candidate (already admitted or refused, or not seen while a window was open)");

    private static IResult Off() =>
        ApiErrors.Result(StatusCodes.Status409Conflict, "pairing is off: the site config has no 'panel' section (the simulation always has one)");

    private static void Audit(ManagementContext m, HttpContext context, string action, string detail) =>
        m.Appliance.Store?.Writer.Audit(PairingFeed.Now(), ApiActor.Of(context), action, detail);
}
