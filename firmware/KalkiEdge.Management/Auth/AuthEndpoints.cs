using System.Security.Claims;
using KalkiEdge.Management.Api;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace KalkiEdge.Management.Auth;

/// <summary>First-visit setup, sign-in and sign-out, the session (with its antiforgery token), API tokens.</summary>
internal static class AuthEndpoints
{
    public const string LoginLimit = "login";

    public static void Map(IEndpointRouteBuilder app, ManagementContext m)
    {
        var accounts = m.Accounts;
        app.MapGet("/api/setup", () => Results.Json(new SetupState(accounts.SetupNeeded), ApiJsonContext.Default.SetupState)).AllowAnonymous();
        app.MapPost("/api/setup", async Task<IResult> (HttpContext context) =>
        {
            var (body, error) = await ApiJson.ReadAsync(context, ApiJsonContext.Default.SetupRequest).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            if (!accounts.SetupNeeded)
            {
                return ApiErrors.Result(StatusCodes.Status409Conflict, "setup is done: an administrator exists; sign in");
            }

            if (!accounts.SetupTokenMatches(body!.Token))
            {
                return ApiErrors.Result(StatusCodes.Status403Forbidden, "the setup token is wrong: use the one the appliance printed at start", [new FieldError("token", "wrong setup token")]);
            }

            if (Accounts.CheckNewAccount(body.Username, body.Password) is { } bad)
            {
                return ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, bad.Message, [new FieldError(bad.Field, bad.Message)]);
            }

            return accounts.CreateAdministrator(body.Username!, body.Password!, Source(context))
                ? Results.NoContent()
                : ApiErrors.Result(StatusCodes.Status409Conflict, "setup is done: an administrator exists; sign in");
        }).AllowAnonymous().RequireRateLimiting(LoginLimit);

        app.MapPost("/api/login", async Task<IResult> (HttpContext context) =>
        {
            var (body, error) = await ApiJson.ReadAsync(context, ApiJsonContext.Default.LoginRequest).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            if (!accounts.VerifyPassword(body!.Username, body.Password))
            {
                accounts.Audit(Printable(body.Username), "login-failed", $"from {Source(context)}");
                return ApiErrors.Result(StatusCodes.Status401Unauthorized, "wrong username or password");
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, body.Username!), new Claim(ClaimTypes.NameIdentifier, body.Username!)], CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity)).ConfigureAwait(false);
            accounts.Audit(body.Username!, "login", $"from {Source(context)}");
            return Results.NoContent();
        }).AllowAnonymous().RequireRateLimiting(LoginLimit);

        app.MapPost("/api/logout", async Task<IResult> (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme).ConfigureAwait(false);
            return Results.NoContent();
        });

        app.MapGet("/api/session", (HttpContext context) =>
        {
            var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
            return Results.Json(new SessionInfo(User(context), tokens.RequestToken ?? ""), ApiJsonContext.Default.SessionInfo);
        });

        app.MapGet("/api/tokens", () => Results.Json<IReadOnlyList<TokenInfo>>(
            [.. accounts.Tokens().Select(t => new TokenInfo(t.Id, t.Name, t.CreatedMicros, t.LastUsedMicros))], ApiJsonContext.Default.IReadOnlyListTokenInfo));
        app.MapPost("/api/tokens", async Task<IResult> (HttpContext context) =>
        {
            var (body, error) = await ApiJson.ReadAsync(context, ApiJsonContext.Default.TokenRequest).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            if (body!.Name is not { Length: > 0 and <= 64 } name || name.Any(char.IsControl))
            {
                return ApiErrors.Result(StatusCodes.Status422UnprocessableEntity, "name must be 1-64 printable characters", [new FieldError("name", "1-64 printable characters")]);
            }

            if (accounts.Tokens().Count >= Accounts.MaxTokens)
            {
                return ApiErrors.Result(StatusCodes.Status409Conflict, $"there are already {Accounts.MaxTokens} API tokens: delete one you no longer use first");
            }

            var (id, token) = accounts.CreateToken(name, User(context));
            return Results.Json(new TokenCreated(id, name, token), ApiJsonContext.Default.TokenCreated, statusCode: StatusCodes.Status201Created);
        });
        app.MapDelete("/api/tokens/{id}", (HttpContext context, string id) =>
            long.TryParse(id, System.Globalization.CultureInfo.InvariantCulture, out var n) && accounts.DeleteToken(n, User(context))
                ? Results.NoContent()
                : ApiErrors.Result(StatusCodes.Status404NotFound, $"no API token with id '{Printable(id)}'"));
    }

    public static string User(HttpContext context) => context.User.Identity?.Name ?? "?";

    private static string Source(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown address";

    private static string Printable(string? text) => text is null ? "" : new string([.. text.Take(64).Where(c => !char.IsControl(c))]);
}
