using KalkiEdge.Appliance.Packs;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KalkiEdge.Management.Api;

/// <summary>
/// Device-type packs: list, detail, export as YAML, the policy editor's save (PUT) and import (POST: a new device
/// type, or the replacement of the type the YAML names). A saved pack passed the same loader and checker as
/// <c>kalki-edge check</c> and is in force at once; a refused one changes nothing.
/// </summary>
internal static class PackEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ManagementContext m)
    {
        app.MapGet("/api/packs", () => Results.Json<IReadOnlyList<PackSummary>>([.. m.Appliance.Packs.OrderBy(p => p.Name, StringComparer.Ordinal).Select(Summary)],
            ApiJsonContext.Default.IReadOnlyListPackSummary)).Produces<IReadOnlyList<PackSummary>>();
        app.MapGet("/api/packs/{name}", (string name) => Find(m, name) is { } pack
            ? Results.Json(Detail(pack), ApiJsonContext.Default.PackDetail)
            : NotFound(name)).Produces<PackDetail>();
        app.MapGet("/api/packs/{name}/export", (string name) => Find(m, name) is { } pack
            ? Results.Text(ReadYaml(pack), "text/yaml; charset=utf-8")
            : NotFound(name));
        app.MapPut("/api/packs/{name}", async Task<IResult> (HttpContext context, string name) =>
        {
            var (yaml, error) = await ReadBody(context).ConfigureAwait(false);
            return error ?? Outcome(m.Appliance.PackEditor.Replace(name, yaml!, ApiActor.Of(context)));
        }).Accepts<PackBody>("application/json").Produces<PackDetail>();
        app.MapPost("/api/packs", async Task<IResult> (HttpContext context) =>
        {
            var (yaml, error) = await ReadBody(context).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            var result = m.Appliance.PackEditor.Import(yaml!, ApiActor.Of(context));
            return result is { Succeeded: true, Created: true, Pack: { } pack }
                ? Results.Json(Detail(pack), ApiJsonContext.Default.PackDetail, statusCode: StatusCodes.Status201Created)
                : Outcome(result);
        }).Accepts<PackBody>("application/json").Produces<PackDetail>(StatusCodes.Status201Created).Produces<PackDetail>();
    }

    /// <summary>The pack's YAML from a <see cref="PackBody"/>, or the 4xx that says why there is none.</summary>
    private static async Task<(string? Yaml, IResult? Error)> ReadBody(HttpContext context)
    {
        var (body, error) = await ApiJson.ReadAsync(context, ApiJsonContext.Default.PackBody).ConfigureAwait(false);
        if (error is not null)
        {
            return (null, error);
        }

        return body!.Yaml is { Length: > 0 } yaml
            ? (yaml, null)
            : (null, ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, "the pack was not saved: 'yaml' (the pack's text) is required", [new FieldError("yaml", "required")]));
    }

    public static PackSummary Summary(DeviceTypePack p) => new(
        p.Name, p.Description, p.Initial, p.States, [.. p.Sensors.Select(s => new SensorInfo(s.Name, s.Kind.ToString().ToLowerInvariant()))],
        [.. p.Commands.Select(c => c.Name)],
        new Dictionary<string, string>(StringComparer.Ordinal) { ["sampling"] = Duration.Format(p.DefaultSamplingIntervalMicros) });

    public static PackDetail Detail(DeviceTypePack p) => new(
        p.Name,
        ReadYaml(p),
        new GraphInfo(p.States, [.. p.Rules.SelectMany(r => r.From.Select(f => new EdgeInfo(f, r.To, r.Name, r.Priority)))]),
        [.. p.Rules.Select(r => new RuleInfo(r.Name, r.From, r.To, r.Priority, Duration.Format(r.WindowMicros), r.When.ToString() ?? "",
            [.. r.Commands.Select(c => c.MemberType is null ? c.Command : $"{c.Command} (group members of type {c.MemberType})")]))],
        p.Chains.ToDictionary(c => c.State, c => c.Image, StringComparer.Ordinal));

    private static IResult Outcome(PackEditResult result)
    {
        if (result.Succeeded)
        {
            return Results.Json(Detail(result.Pack!), ApiJsonContext.Default.PackDetail);
        }

        // Errors in the submitted text carry their line and column in it; an error the edit causes in another
        // pack (a group condition naming a state it removed) names that pack's file.
        var fields = result.Errors.Select(e => new FieldError(e.File, e.Message)
        {
            Line = e.Line > 0 ? e.Line : null,
            Column = e.Line > 0 ? e.Column : null,
            Suggestion = e.Suggestion,
        }).ToList();
        return result.Failure switch
        {
            PackEditFailure.NotFound => ApiErrors.Result(StatusCodes.Status404NotFound, fields[0].Message),
            PackEditFailure.StoreFailed => ApiErrors.Result(StatusCodes.Status503ServiceUnavailable, fields[0].Message),
            _ => ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, $"the pack was not saved ({fields.Count} error{(fields.Count == 1 ? "" : "s")}); the policy in force is unchanged", fields),
        };
    }

    private static DeviceTypePack? Find(ManagementContext m, string name) => m.Appliance.Packs.FirstOrDefault(p => p.Name == name);

    private static IResult NotFound(string name) => ApiErrors.Result(StatusCodes.Status404NotFound, $"no pack named '{(name.Length > 64 ? name[..64] : name)}'");

    private static string ReadYaml(DeviceTypePack pack)
    {
        try
        {
            return File.ReadAllText(pack.At.File);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"# {pack.At.File} cannot be read: {e.Message}";
        }
    }
}
