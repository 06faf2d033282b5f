namespace KalkiEdge.Core.Policy;

/// <summary>Who receives a command.</summary>
public enum CommandTarget
{
    /// <summary>The device whose rule fired.</summary>
    Self,

    /// <summary>The other members of its group of type <see cref="CommandAction.MemberType"/>.</summary>
    Group,
}

/// <summary>A command a firing rule sends, to the device itself or to members of its group.</summary>
public sealed record CommandAction(string Command, CommandTarget Target, string? MemberType, SourceSpan At);
