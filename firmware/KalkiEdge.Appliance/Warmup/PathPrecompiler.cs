using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes;

namespace KalkiEdge.Appliance.Warmup;

/// <summary>
/// Compiles ahead the code a frame can reach that the replayed scenario does not: the live bridge and its ports
/// (the scenario is a replay, it never crosses <c>DataPlane.Live</c>), and every μmbox element's paths (a site's
/// images may use elements, or branches of them, that the bundled scenario never takes). Measured on the live
/// testbed: the first reaction of a run paid ~1 ms over the others, all of it the JIT compiling the bridge's
/// forwarding and the element's alert path for the trigger frame. Each method is compiled, not run; methods the
/// trimmer removed are never called, so they need no compilation either.
/// </summary>
public static class PathPrecompiler
{
    /// <summary>
    /// Compiles every concrete, non-generic method of the data plane and the μmbox library, and the methods of the
    /// closed generic types their fields hold (an element's tables: each instantiation over a value type is code of
    /// its own). Returns how many.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only compiles the methods that are there; a trimmed-away method is never called.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Only compiles the methods that are there; a trimmed-away method is never called.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Only compiles the methods that are there; a trimmed-away method is never called.")]
    public static int Run()
    {
        const BindingFlags All = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        var types = new HashSet<Type>();
        foreach (var assembly in new[] { typeof(PacketEngine).Assembly, typeof(UmboxLibrary).Assembly })
        {
            foreach (var type in assembly.GetTypes().Where(t => !t.ContainsGenericParameters))
            {
                types.Add(type);
                types.UnionWith(type.GetFields(All).Select(f => f.FieldType).Where(t => t.IsConstructedGenericType && !t.ContainsGenericParameters));
            }
        }

        int compiled = 0;
        foreach (var type in types)
        {
            var instantiation = type.IsConstructedGenericType ? Array.ConvertAll(type.GetGenericArguments(), t => t.TypeHandle) : null;
            foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                compiled += Prepare(method, instantiation) ? 1 : 0;
            }
        }

        return compiled;
    }

    private static bool Prepare(MethodBase method, RuntimeTypeHandle[]? instantiation)
    {
        if (method.IsAbstract || method.ContainsGenericParameters || (method.IsConstructor && method.IsStatic)
            || (method.Attributes & MethodAttributes.PinvokeImpl) != 0
            || (method.MethodImplementationFlags & (MethodImplAttributes.InternalCall | MethodImplAttributes.Runtime)) != 0)
        {
            return false;
        }

        try
        {
            RuntimeHelpers.PrepareMethod(method.MethodHandle, instantiation);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or TypeLoadException or BadImageFormatException or MissingMethodException or InvalidOperationException)
        {
            // A method the runtime cannot compile ahead (it will compile it when called, as without this step).
            return false;
        }
    }
}
