using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using KalkiEdge.Store;
using Microsoft.AspNetCore.Identity;

namespace KalkiEdge.Management.Auth;

/// <summary>
/// The management accounts and API tokens. Passwords: ASP.NET Core Identity's hasher (PBKDF2-HMAC-SHA512, 100,000
/// iterations, per-password salt). API tokens: 256 random bits shown once; only their SHA-256 is stored (a token is
/// not guessable, so a slow hash would only slow every API call). Setup: a one-time token printed at start, valid
/// until the first account exists — there are no default credentials.
/// </summary>
public sealed partial class Accounts(KalkiStore store)
{
    public const int MinPasswordLength = 12;
    public const int MaxPasswordLength = 1024;

    /// <summary>API tokens kept at most: each is checked by hash at every request that carries one, and audited.</summary>
    public const int MaxTokens = 100;

    private static readonly PasswordHasher<Accounts> Hasher = new();

    // Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(null!, "not a real account: timing equaliser");

    private readonly byte[] _setupToken = RandomNumberGenerator.GetBytes(32);

    /// <summary>Printed at start while setup is needed; accepted by POST /api/setup once.</summary>
    public string SetupToken => Base64Url(_setupToken);

    public bool SetupNeeded => !store.HasUsers();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex PlainName();

    /// <summary>Null when the username and password are acceptable, else (field, why).</summary>
    public static (string Field, string Message)? CheckNewAccount(string? username, string? password) =>
        username is null || !PlainName().IsMatch(username) ? ("username", "username must be 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
        : password is null || password.Length < MinPasswordLength ? ("password", $"password must have at least {MinPasswordLength} characters")
        : password.Length > MaxPasswordLength ? ("password", $"password must have at most {MaxPasswordLength} characters")
        : null;

    public bool SetupTokenMatches(string? token) =>
        token is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token), Encoding.ASCII.GetBytes(SetupToken));

    /// <summary>Creates the administrator; false when setup was already done (by a concurrent request, say).</summary>
    public bool CreateAdministrator(string username, string password, string source) =>
        store.CreateFirstUser(username, Hasher.HashPassword(this, password), new AuditEntry(Now(), username, "setup", $"administrator account created from {source}"));

    public bool VerifyPassword(string? username, string? password)
    {
        if (password is null || password.Length > MaxPasswordLength)
        {
            return false;
        }

        var hash = username is null ? null : store.PasswordHash(username);
        var result = Hasher.VerifyHashedPassword(this, hash ?? DummyHash, password);
        if (hash is null || result == PasswordVerificationResult.Failed)
        {
            return false;
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            store.SetPasswordHash(username!, Hasher.HashPassword(this, password));
        }

        return true;
    }

    /// <summary>A new API token: the secret is returned once and never stored.</summary>
    public (long Id, string Token) CreateToken(string name, string owner)
    {
        var token = "ket_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = store.AddApiToken(name, owner, TokenHash(token), new AuditEntry(Now(), owner, "token-create", name));
        return (id, token);
    }

    public IReadOnlyList<ApiTokenRecord> Tokens() => store.ApiTokens();

    public bool DeleteToken(long id, string actor) => store.DeleteApiToken(id, new AuditEntry(Now(), actor, "token-delete", id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The owner of a presented token, or null.</summary>
    public string? Authenticate(string token) => token.Length is > 0 and < 200 ? store.UseApiToken(TokenHash(token), Now()) : null;

    public void Audit(string actor, string action, string detail) => store.AppendAudit(new AuditEntry(Now(), actor, action, detail));

    internal static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    private static string TokenHash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
