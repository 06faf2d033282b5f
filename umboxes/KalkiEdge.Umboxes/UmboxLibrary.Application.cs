using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Elements;

namespace KalkiEdge.Umboxes;

/// <summary>Application-layer and behaviour elements (KalKi's u2, u6, u8–u11 defenses).</summary>
public static partial class UmboxLibrary
{
    static partial void RegisterApplication(ElementRegistry registry) => registry
        .Add("brute-force", "N TCP connection attempts to a port from one source within a window -> brute-force (optional block)", BruteForce.Compile)
        .Add("egress-guard", "device-originated traffic only to allowed destinations / from its service ports, else abnormal-egress (optional block)", EgressGuard.Compile)
        .Add("http-auth-guard", "HTTP Basic/Digest logins toward the device: default-login, max-login-attempts (optional block)", HttpAuthGuard.Compile)
        .Add("hue-guard", "Philips Hue API: token brute force -> brute-force; restrict: true drops non-GET API requests", HueGuard.Compile)
        .Add("decoy", "answers the device's control protocol (WeMo basicevent) from a simulated state instead of the device", Decoy.Compile);
}
