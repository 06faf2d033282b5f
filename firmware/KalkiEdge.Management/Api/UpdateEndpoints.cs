using KalkiEdge.Appliance.Update;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace KalkiEdge.Management.Api;

/// <summary>
/// POST /api/update: the dashboard's upload of a signed update bundle (the body, at most
/// <see cref="BundleInstaller.MaxBundleBytes"/> and never more than the data partition has free), installed into the
/// inactive root slot by RAUC, as <c>kalki-edge update</c> does. <c>?reboot=true</c> then asks for a reboot into it
/// (kalki-reboot.path, a root unit: the firmware's user cannot reboot). One install at a time; every attempt,
/// accepted or refused, is in the audit log with the user.
/// </summary>
internal static class UpdateEndpoints
{
    /// <summary>Beside the data directory: the root unit kalki-reboot.path watches this name.</summary>
    public const string RebootRequestName = "reboot-requested";

    public static void Map(IEndpointRouteBuilder app, ManagementContext m, BundleInstaller installer)
    {
        var updates = Path.Combine(m.Appliance.Config.DataDir, "updates");
        var busy = new SemaphoreSlim(1, 1);
        app.MapPost("/api/update", async Task<IResult> (HttpContext context) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = BundleInstaller.MaxBundleBytes;
            }

            var reboot = string.Equals(context.Request.Query["reboot"], "true", StringComparison.OrdinalIgnoreCase);
            if (!await busy.WaitAsync(0).ConfigureAwait(false))
            {
                return ApiErrors.Result(StatusCodes.Status409Conflict, "another update is being installed; try again when it has finished");
            }

            try
            {
                Directory.CreateDirectory(updates);
                if (context.Request.ContentLength is { } length && length > new DriveInfo(updates).AvailableFreeSpace)
                {
                    return Refused(m, context, StatusCodes.Status507InsufficientStorage, $"the bundle ({length} bytes) does not fit in the data partition's free space");
                }

                var path = Path.Combine(updates, $"upload-{Guid.NewGuid():N}.raucb");
                try
                {
                    await using (var file = PrivateFile(path))
                    {
                        await context.Request.Body.CopyToAsync(file, context.RequestAborted).ConfigureAwait(false);
                    }

                    var size = new FileInfo(path).Length;
                    var result = await installer.InstallAsync(path, context.RequestAborted).ConfigureAwait(false);
                    Audit(m, context, "update-install", $"bundle of {size} bytes installed into the inactive slot ({result}){(reboot ? "; reboot requested" : "")}");
                    if (reboot)
                    {
                        await File.WriteAllTextAsync(Path.Combine(updates, RebootRequestName), ApiActor.Of(context) + "\n").ConfigureAwait(false);
                    }

                    return Results.Json(new UpdateInstalled(size, result, reboot,
                        reboot ? "installed; the appliance reboots into it now and keeps it once it is healthy"
                               : "installed; it runs after the next reboot and is kept once it is healthy"), ApiJsonContext.Default.UpdateInstalled);
                }
                catch (UpdateException e)
                {
                    return Refused(m, context, StatusCodes.Status422UnprocessableEntity, $"the update was not installed; the running firmware is unchanged: {e.Message.Replace(path, "the uploaded bundle", StringComparison.Ordinal)}");
                }
                catch (BadHttpRequestException e)
                {
                    return Refused(m, context, e.StatusCode, $"the update was not installed: {e.Message}");
                }
                finally
                {
                    File.Delete(path);
                }
            }
            finally
            {
                busy.Release();
            }
        }).Accepts<Stream>("application/octet-stream").Produces<UpdateInstalled>();
    }

    private static IResult Refused(ManagementContext m, HttpContext context, int status, string message)
    {
        Audit(m, context, "update-refused", message);
        return ApiErrors.Result(status, message);
    }

    private static void Audit(ManagementContext m, HttpContext context, string action, string detail) =>
        m.Accounts.Audit(ApiActor.Of(context), action, detail);

    private static FileStream PrivateFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }
}
