using System.Globalization;
using System.Text;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.TestKit;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// HTTP logins toward a device with a web login, written from RFC 7617 (Basic), RFC 7616 (Digest) and the way
/// the attack tools behave, not from the repository's fixtures. The device's server is modelled: it challenges
/// requests without credentials (401 with WWW-Authenticate), checks what it receives against its one real
/// account and answers 200 or 401 accordingly, and renews a Digest nonce after five minutes (401 with
/// stale=true). The clients: hydra http-get (an unauthenticated probe to learn the scheme, then guesses on a
/// few keep-alive connections, "Mozilla/4.0 (Hydra)"), medusa's http module (a connection per guess, "Teh
/// Forest Lobster"), Mirai-style single default-credential logins, a browser that logs in once and keeps
/// browsing, and a recorder (NVR) polling snapshots with Digest, reusing its nonce. Seeded: the same arguments
/// give the same capture.
/// </summary>
public sealed class LoginCorpus(Timeline timeline, SimHost device, string account, string realm, int seed = 11)
{
    public const long Millisecond = 1_000;
    public const long Second = 1_000_000;

    /// <summary>The first passwords of the rockyou list, as hydra and medusa users feed them.</summary>
    public static readonly string[] RockYou = ["123456", "12345", "123456789", "password", "iloveyou", "princess", "1234567", "rockyou", "12345678", "abc123"];

    private const long NonceLifetime = 5 * 60 * Second;

    private readonly Random _random = new(seed);
    private readonly string _user = account[..account.IndexOf(':', StringComparison.Ordinal)];
    private readonly string _password = account[(account.IndexOf(':', StringComparison.Ordinal) + 1)..];
    private int _nextPort = 32768;
    private int _nonces;

    /// <summary>hydra -l USER -P list -t TASKS http-get://device/: guesses spread over TASKS keep-alive connections.</summary>
    public long HydraBasic(SimHost attacker, string user, IReadOnlyList<string> passwords, int tasks, long at)
    {
        // hydra first asks without credentials to learn the authentication scheme.
        var probe = Connect(attacker, at);
        probe.Exchange(Get("/", attacker, "Mozilla/4.0 (Hydra)"), BasicChallenge());
        at = probe.Close();
        var connections = Enumerable.Range(0, tasks).Select(i => Connect(attacker, at + (i * 50))).ToArray();
        for (int i = 0; i < passwords.Count; i++)
        {
            var c = connections[i % tasks];
            var credentials = $"{user}:{passwords[i]}";
            c.Exchange(Get("/", attacker, "Mozilla/4.0 (Hydra)", "Authorization: Basic " + Base64(credentials)), AnswerBasic(credentials), 2 * Millisecond);
        }

        return connections.Max(c => c.Close());
    }

    /// <summary>
    /// medusa -M http -u USER -P list: one connection per guess, closed after the answer, the next one
    /// <paramref name="spacing"/> later (an embedded web server takes a few hundred milliseconds per login;
    /// faster than 5 connections a second the packs' connection-flood limit reacts first).
    /// </summary>
    public long MedusaBasic(SimHost attacker, string user, IReadOnlyList<string> passwords, long at, long spacing = 300 * Millisecond)
    {
        foreach (var password in passwords)
        {
            var credentials = $"{user}:{password}";
            var c = Connect(attacker, at);
            c.Exchange(Get("/", attacker, "Teh Forest Lobster", "Authorization: Basic " + Base64(credentials)), AnswerBasic(credentials));
            c.Close();
            at += spacing;
        }

        return at;
    }

    /// <summary>
    /// hydra http-get against Digest: one keep-alive connection; each guess answers the latest challenge
    /// (nc=00000001, a fresh cnonce) and the server answers each wrong one with 401 and a fresh nonce.
    /// </summary>
    public long HydraDigest(SimHost attacker, string user, IReadOnlyList<string> passwords, string algorithm, long at)
    {
        var c = Connect(attacker, at);
        string nonce = NewNonce();
        c.Exchange(Get("/", attacker, "Mozilla/4.0 (Hydra)"), DigestChallenge(nonce, algorithm, stale: false));
        foreach (var password in passwords)
        {
            var client = new HttpDigestClient(user, password, realm, nonce, algorithm);
            bool right = user == _user && password == _password;
            string next = NewNonce();
            c.Exchange(Get("/", attacker, "Mozilla/4.0 (Hydra)", client.Header("GET", "/", 1, CNonce())), right ? Ok("<html>camera</html>") : DigestChallenge(next, algorithm, stale: false), 3 * Millisecond);
            nonce = next;
        }

        return c.Close();
    }

    /// <summary>One Basic login with <paramref name="credentials"/> on its own connection (Mirai-style default try).</summary>
    public long BasicLogin(SimHost client, string credentials, long at)
    {
        var c = Connect(client, at);
        c.Exchange(Get("/", client, "Mozilla/5.0", "Authorization: Basic " + Base64(credentials)), AnswerBasic(credentials));
        return c.Close();
    }

    /// <summary>A challenge, then one Digest login as <paramref name="user"/> with <paramref name="password"/>.</summary>
    public long DigestLogin(SimHost client, string user, string password, string algorithm, string? qop, long at, string uri = "/")
    {
        var c = Connect(client, at);
        string nonce = NewNonce();
        c.Exchange(Get(uri, client, "curl/8.5.0"), DigestChallenge(nonce, algorithm, stale: false));
        var digest = new HttpDigestClient(user, password, realm, nonce, algorithm, qop);
        bool right = user == _user && password == _password;
        c.Exchange(Get(uri, client, "curl/8.5.0", digest.Header("GET", uri, 1, CNonce())), right ? Ok("<html>camera</html>") : DigestChallenge(NewNonce(), algorithm, stale: false));
        return c.Close();
    }

    /// <summary>
    /// A person in a browser for <paramref name="minutes"/>: challenged once, logs in with the right password
    /// (Basic), then reads pages every 2–8 s over two keep-alive connections that the browser closes and
    /// reopens every minute, resending its credentials with every request (RFC 7617 section 2.2).
    /// </summary>
    public long BrowserSession(SimHost browser, int minutes, long at)
    {
        const string ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        string[] pages = ["/", "/live.htm", "/setup.htm", "/image.jpg", "/status.xml"];
        var auth = "Authorization: Basic " + Base64(_user + ":" + _password);
        var first = Connect(browser, at);
        first.Exchange(Get("/", browser, ua), BasicChallenge());
        first.Exchange(Get("/", browser, ua, auth), Ok("<html>camera</html>"), 4 * Second);
        at = first.Close();
        long end = at + (minutes * 60 * Second);
        while (at < end)
        {
            var pair = new[] { Connect(browser, at), Connect(browser, at + 300) };
            long minuteEnd = Math.Min(end, at + (60 * Second));
            for (int i = 0; pair[i % 2].Now < minuteEnd; i++)
            {
                pair[i % 2].Exchange(Get(pages[_random.Next(pages.Length)], browser, ua, auth), Ok("<html>page</html>"), (2 * Second) + _random.Next(6 * (int)Second));
            }

            at = Math.Max(pair[0].Close(), pair[1].Close()) + (50 * Millisecond);
        }

        return at;
    }

    /// <summary>
    /// A recorder polling /image.jpg every 5 s for <paramref name="minutes"/> on one keep-alive connection with
    /// Digest (MD5, qop auth), reusing its nonce with an incrementing nc; when the server marks the nonce stale
    /// it retries at once with the new nonce (RFC 7616 section 3.3), nc back to 1.
    /// </summary>
    public long RecorderPolling(SimHost recorder, int minutes, long at)
    {
        const string ua = "NVR/2.1";
        var c = Connect(recorder, at);
        string nonce = NewNonce();
        long nonceIssued = c.Now;
        c.Exchange(Get("/image.jpg", recorder, ua), DigestChallenge(nonce, "MD5", stale: false));
        int nc = 0;
        long end = at + (minutes * 60 * Second);
        while (c.Now < end)
        {
            var client = new HttpDigestClient(_user, _password, realm, nonce, "MD5");
            var request = Get("/image.jpg", recorder, ua, client.Header("GET", "/image.jpg", ++nc, CNonce()));
            if (c.Now - nonceIssued >= NonceLifetime)
            {
                nonce = NewNonce();
                nonceIssued = c.Now;
                nc = 0;
                c.Exchange(request, DigestChallenge(nonce, "MD5", stale: true), 5 * Second);
                continue;
            }

            c.Exchange(request, Ok("JFIF-snapshot"), nc == 1 ? 0 : 5 * Second);
        }

        return c.Close();
    }

    private TcpConversation Connect(SimHost client, long at)
    {
        ushort port = (ushort)_nextPort;
        _nextPort = _nextPort >= 60999 ? 32768 : _nextPort + 1;
        return TcpConversation.Open(timeline, client, device, port, 80, _random, at);
    }

    private string Get(string uri, SimHost client, string userAgent, string? authorization = null) =>
        $"GET {uri} HTTP/1.1\r\nHost: {device.Ip}\r\nUser-Agent: {userAgent}\r\nAccept: */*\r\n"
        + (authorization is null ? "" : authorization + "\r\n") + "Connection: keep-alive\r\n\r\n";

    private string AnswerBasic(string credentials) => credentials == $"{_user}:{_password}" ? Ok("<html>camera</html>") : BasicChallenge();

    private string BasicChallenge() =>
        $"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"{realm}\", charset=\"UTF-8\"\r\nContent-Length: 0\r\n\r\n";

    private string DigestChallenge(string nonce, string algorithm, bool stale) =>
        $"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"{realm}\", qop=\"auth\", algorithm={algorithm}, nonce=\"{nonce}\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""
        + (stale ? ", stale=true" : "") + "\r\nContent-Length: 0\r\n\r\n";

    private static string Ok(string body) =>
        $"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {body.Length}\r\n\r\n{body}";

    private string NewNonce() => Convert.ToBase64String(BitConverter.GetBytes(((long)_random.Next() << 20) ^ ++_nonces));

    private string CNonce() => _random.Next().ToString("x8", CultureInfo.InvariantCulture);

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
