using KalkiEdge.Host.Commands;

namespace KalkiEdge.Host;

/// <summary>kalki-edge: run | replay | check | devices | reset | version. Exit codes: 0 ok, 1 invalid input, 2 usage.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var parsed = CommandLine.Parse(args);
        if (parsed.Error is { } error)
        {
            Console.Error.WriteLine($"kalki-edge: {error}");
            Console.Error.WriteLine(CommandLine.Usage);
            return ExitCodes.Usage;
        }

        try
        {
            return parsed.Command switch
            {
                "run" => RunCommand.Execute(parsed),
                "replay" => ReplayCommand.Execute(parsed),
                "check" => CheckCommand.Execute(parsed),
                "devices" => OperatorCommands.Devices(parsed),
                "reset" => OperatorCommands.Reset(parsed),
                "version" => Version(),
                _ => Help(),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"kalki-edge: {e.Message}");
            return ExitCodes.Invalid;
        }
    }

    private static int Version()
    {
        Console.WriteLine($"kalki-edge {typeof(Program).Assembly.GetName().Version}");
        return ExitCodes.Ok;
    }

    private static int Help()
    {
        Console.WriteLine(CommandLine.Usage);
        return ExitCodes.Ok;
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Invalid = 1;
    public const int Usage = 2;
}
