using KalkiEdge.Appliance.Output;

namespace KalkiEdge.Host.Commands;

/// <summary>kalki-edge check: validates everything the config uses and reports every error with file and line.</summary>
internal static class CheckCommand
{
    public static int Execute(CommandLine cl)
    {
        var path = cl.Option("--config");
        if (path is null)
        {
            Console.Error.WriteLine("kalki-edge check: --config FILE is required");
            return ExitCodes.Usage;
        }

        var appliance = ApplianceLoader.Load(path, new ConsoleObserver(TextWriter.Null));
        if (appliance is null)
        {
            return ExitCodes.Invalid;
        }

        Console.WriteLine($"{path}: ok — {appliance.Engine.Devices.Count} devices, {appliance.Images.All.Count} μmbox images, {appliance.Compiler.Registry.Kinds.Count()} element kinds");
        return ExitCodes.Ok;
    }
}
