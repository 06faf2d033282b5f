using System.Text;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Application;

/// <summary>One default user/password pair (UTF-8), e.g. admin:admin.</summary>
internal sealed record DefaultCredential(string User, byte[] UserBytes, byte[] PasswordBytes);

/// <summary>
/// A list of factory-default credentials. Basic logins are checked by their decoded user and password; Digest
/// logins (which never send the password) by recomputing the response from each listed pair of the same user
/// (<see cref="DigestResponse"/>), so a Digest login as a listed user with another password is not a default one.
/// </summary>
internal sealed class DefaultCredentials
{
    /// <summary>Common IoT factory defaults (cameras, routers, plugs; the Mirai list's most frequent entries).</summary>
    public static readonly string[] BuiltIn =
    [
        "admin:admin", "admin:", "admin:password", "admin:1234", "admin:12345", "admin:123456", "admin:admin1234",
        "admin:default", "admin:pass", "admin:smcadmin", "admin:meinsm", "root:root", "root:", "root:12345",
        "root:123456", "root:admin", "root:password", "root:default", "root:vizxv", "root:xc3511", "root:888888",
        "root:xmhdipc", "root:juantech", "root:54321", "root:anko", "root:pass", "support:support", "user:user",
        "guest:guest", "guest:12345", "ubnt:ubnt", "service:service", "supervisor:supervisor", "Administrator:admin",
        "666666:666666", "888888:888888", "tech:tech",
    ];

    private readonly DefaultCredential[] _items;

    public DefaultCredentials(IReadOnlyList<DefaultCredential> items) => _items = [.. items];

    public int Count => _items.Length;

    /// <summary>Parses "user:password" entries (an empty password is written "admin:"). Reports bad ones.</summary>
    public static DefaultCredentials Parse(ElementArgs args, IReadOnlyList<ArgNode>? nodes)
    {
        var items = new List<DefaultCredential>();
        if (nodes is null)
        {
            foreach (var text in BuiltIn)
            {
                items.Add(Make(text));
            }

            return new DefaultCredentials(items);
        }

        foreach (var node in nodes)
        {
            var text = args.ScalarText(node);
            if (text is null)
            {
                continue;
            }

            int colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                // The entry itself is a credential: never echo it into an error message (or a log).
                args.Error(node.At, "'defaults' entries are written user:password (admin: for an empty password)");
                continue;
            }

            items.Add(Make(text));
        }

        return new DefaultCredentials(items);
    }

    /// <summary>The listed user name whose default password these credentials carry, or null.</summary>
    /// <param name="method">The request's method (a Digest response covers it).</param>
    public string? Match(scoped in HttpAuthorization auth, ReadOnlySpan<byte> method)
    {
        if (auth.Malformed)
        {
            return null;
        }

        if (auth.Scheme == HttpAuthScheme.Basic)
        {
            foreach (var c in _items)
            {
                if (auth.User.SequenceEqual(c.UserBytes) && auth.Password.SequenceEqual(c.PasswordBytes))
                {
                    return c.User;
                }
            }

            return null;
        }

        var digest = auth.Digest;
        if (!DigestResponse.IsCheckable(digest))
        {
            return null;
        }

        foreach (var c in _items)
        {
            if (DigestResponse.NamesUser(digest, c.UserBytes) && DigestResponse.Matches(digest, method, c.UserBytes, c.PasswordBytes))
            {
                return c.User;
            }
        }

        return null;
    }

    private static DefaultCredential Make(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        var user = text[..colon];
        return new DefaultCredential(user, Encoding.UTF8.GetBytes(user), Encoding.UTF8.GetBytes(text[(colon + 1)..]));
    }
}
