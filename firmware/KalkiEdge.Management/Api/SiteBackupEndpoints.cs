using KalkiEdge.Appliance.Backup;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace KalkiEdge.Management.Api;

/// <summary>
/// The site's backup (POST /api/backup: the archive <c>kalki-edge backup</c> writes) and restore (POST
/// /api/restore: the archive as the body, the keys' passphrase in <c>X-Backup-Passphrase</c>): the same code as the
/// command line, so the same checks; a restore that passes them is staged and applied at the next start.
/// </summary>
internal static class SiteBackupEndpoints
{
    public const string PassphraseHeader = "X-Backup-Passphrase";

    public static void Map(IEndpointRouteBuilder app, ManagementContext m)
    {
        var dataDir = m.Appliance.Config.DataDir;
        app.MapPost("/api/backup", async Task<IResult> (HttpContext context) =>
        {
            string? passphrase = null;
            if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                var (body, error) = await ApiJson.ReadAsync(context, ApiJsonContext.Default.BackupBody).ConfigureAwait(false);
                if (error is not null)
                {
                    return error;
                }

                passphrase = body!.Passphrase;
            }

            // Written to a private file that goes when the response has sent it: a large store never sits in memory.
            var file = TempFile(dataDir, "backup");
            try
            {
                await Task.Run(() => BackupWriter.Write(dataDir, file, passphrase)).ConfigureAwait(false);
                file.Position = 0;
                return Results.Stream(file, "application/zip", $"kalki-edge-backup-{DateTime.UtcNow:yyyyMMdd-HHmmss}.zip");
            }
            catch (Exception e) when (e is BackupException or IOException)
            {
                await file.DisposeAsync().ConfigureAwait(false);
                return ApiErrors.Result(e is BackupException ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status503ServiceUnavailable, $"no backup was made: {e.Message}");
            }
        }).Accepts<BackupBody>("application/json").Produces(StatusCodes.Status200OK, contentType: "application/zip");

        app.MapPost("/api/restore", async Task<IResult> (HttpContext context) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = SiteRestore.MaxArchiveBytes;
            }

            var passphrase = context.Request.Headers[PassphraseHeader].FirstOrDefault();
            await using var file = TempFile(dataDir, "restore");
            try
            {
                await context.Request.Body.CopyToAsync(file, context.RequestAborted).ConfigureAwait(false);
                file.Position = 0;
                var s = await Task.Run(() => SiteRestore.Stage(file, m.Appliance.Config, string.IsNullOrEmpty(passphrase) ? null : passphrase)).ConfigureAwait(false);
                return Results.Json(new RestoreStaged(s.Manifest.Firmware, s.Manifest.Schema, s.RuntimeDevices, s.EditedPacks, s.AuditEntries, s.KeyFiles, s.KeysLeftOut,
                    "the backup passed every check and is staged: it replaces the site's data when the appliance next starts"), ApiJsonContext.Default.RestoreStaged, statusCode: StatusCodes.Status202Accepted);
            }
            catch (BackupException e)
            {
                return ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, $"the backup was not restored; nothing was changed: {e.Message}");
            }
            catch (BadHttpRequestException e)
            {
                return ApiErrors.Result(e.StatusCode, $"the backup was not restored: {e.Message}");
            }
        }).Accepts<Stream>("application/zip").Produces<RestoreStaged>(StatusCodes.Status202Accepted);
    }

    private static FileStream TempFile(string dataDir, string what)
    {
        Directory.CreateDirectory(dataDir);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(Path.Combine(dataDir, $".{what}-{Guid.NewGuid():N}.tmp"), options);
    }
}
