namespace KalkiEdge.DataPlane;

/// <summary>
/// Device names appear in logs, JSON lines, store keys, URLs (<c>/devices/NAME/reset</c>) and terminals, so
/// they are restricted to a set safe in all of them: a letter or digit, then up to 62 letters, digits, '.',
/// '_' or '-'. No control characters, spaces or '/'.
/// </summary>
public static class DeviceName
{
    public const int MaxLength = 63;

    public const string Rule = "a letter or digit, then up to 62 letters, digits, '.', '_' or '-'";

    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > MaxLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
