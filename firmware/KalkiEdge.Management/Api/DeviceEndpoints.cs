using KalkiEdge.ControlPlane.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KalkiEdge.Management.Api;

/// <summary>Devices: list, detail, add, edit, delete (the runtime device registry), operator state reset.</summary>
internal static class DeviceEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ManagementContext m)
    {
        var views = new DeviceViews(m);
        var registry = m.Appliance.Registry;
        app.MapGet("/api/devices", () => Results.Json(views.All(), ApiJsonContext.Default.IReadOnlyListDeviceSummary))
            .Produces<IReadOnlyList<DeviceSummary>>();
        app.MapGet("/api/devices/{name}", (string name) => views.Detail(name) is { } detail
            ? Results.Json(detail, ApiJsonContext.Default.DeviceDetail)
            : NotFound(name)).Produces<DeviceDetail>();
        app.MapPost("/api/devices", async Task<IResult> (HttpContext context) =>
        {
            var (body, error) = await ApiJson.ReadAsync(context, ApiJsonContext.Default.DeviceRequest).ConfigureAwait(false);
            return error ?? Outcome(registry.Add(Spec(body!), ApiActor.Of(context)), views, StatusCodes.Status201Created);
        }).Accepts<DeviceRequest>("application/json").Produces<DeviceSummary>(StatusCodes.Status201Created);
        app.MapPut("/api/devices/{name}", async Task<IResult> (HttpContext context, string name) =>
        {
            var (body, error) = await ApiJson.ReadAsync(context, ApiJsonContext.Default.DeviceRequest).ConfigureAwait(false);
            return error ?? Outcome(registry.Update(name, Spec(body!), ApiActor.Of(context)), views, StatusCodes.Status200OK);
        }).Accepts<DeviceRequest>("application/json").Produces<DeviceSummary>();
        app.MapDelete("/api/devices/{name}", (HttpContext context, string name) => Outcome(registry.Remove(name, ApiActor.Of(context)), views, StatusCodes.Status204NoContent));
        app.MapPost("/api/devices/{name}/reset", async Task<IResult> (HttpContext context, string name) =>
        {
            ResetBody? body = null;
            if (ApiJson.HasBody(context))
            {
                (body, var error) = await ApiJson.ReadAsync(context, ApiJsonContext.Default.ResetBody).ConfigureAwait(false);
                if (error is not null)
                {
                    return error;
                }
            }

            var (accepted, refusal, unknown) = m.Operator.Reset(name, ApiActor.Of(context), body?.Reason);
            return accepted is not null
                ? Results.Json(new ResetQueued(accepted.Device, accepted.From, accepted.To, accepted.Actor), ApiJsonContext.Default.ResetQueued, statusCode: StatusCodes.Status202Accepted)
                : ApiErrors.Result(unknown ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict, refusal!);
        }).Produces<ResetQueued>(StatusCodes.Status202Accepted);
    }

    private static DeviceSpec Spec(DeviceRequest r) => new(r.Name ?? "", r.Mac ?? "", r.Ips ?? [])
    {
        Type = Blank(r.Type),
        Image = Blank(r.Image),
        Chain = Blank(r.Chain),
        Group = Blank(r.Group),
        Description = r.Description ?? "",
        CredentialsUser = r.Credentials?.Username,
        CredentialsPassword = r.Credentials?.Password,
    };

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static IResult Outcome(RegistryResult result, DeviceViews views, int successStatus)
    {
        if (result.Succeeded)
        {
            return result.Device is null
                ? Results.StatusCode(successStatus)
                : Results.Json(views.One(result.Device.Spec.Name) ?? views.Summary(result.Device, null), ApiJsonContext.Default.DeviceSummary, statusCode: successStatus);
        }

        var fields = result.Errors.Select(e => new FieldError(e.File, e.Message) { Line = e.Line > 0 ? e.Line : null, Column = e.Line > 0 ? e.Column : null }).ToList();
        var (status, what) = result.Failure switch
        {
            RegistryFailure.NotFound => (StatusCodes.Status404NotFound, fields[0].Message),
            RegistryFailure.ConfigDevice => (StatusCodes.Status409Conflict, fields[0].Message),
            RegistryFailure.StoreFailed => (StatusCodes.Status503ServiceUnavailable, fields[0].Message),
            _ => (StatusCodes.Status422UnprocessableEntity, $"the device was not saved: {string.Join("; ", fields.Select(f => f.Message))}"),
        };
        return ApiErrors.Result(status, what, fields);
    }

    private static IResult NotFound(string name) => ApiErrors.Result(StatusCodes.Status404NotFound, $"no device named '{(name.Length > 64 ? name[..64] : name)}'");
}
