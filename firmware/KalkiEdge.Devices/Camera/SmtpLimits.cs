namespace KalkiEdge.Devices.Camera;

/// <summary>What one SMTP session may use: beyond any of it the session is answered with the limit it broke and closed.</summary>
public sealed record SmtpLimits
{
    /// <summary>A command or text line, CRLF included (RFC 5321's 1000 for text lines).</summary>
    public int MaxLineBytes { get; init; } = 1000;

    /// <summary>One message's DATA, advertised as SIZE; a longer DATA is cut off with 552.</summary>
    public int MaxMessageBytes { get; init; } = 1 << 20;

    public int MaxRecipients { get; init; } = 16;

    /// <summary>A whole session, from connection to QUIT; a slow or endless one is cut off with 421.</summary>
    public TimeSpan SessionTime { get; init; } = TimeSpan.FromSeconds(60);

    public int MaxSessions { get; init; } = 16;

    /// <summary>Messages in one session (a camera sends one per motion).</summary>
    public int MaxMessages { get; init; } = 16;
}
