using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.Infrastructure;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.KeyManagement.Internal;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KalkiEdge.Management.Auth;

/// <summary>
/// The session cookies' and antiforgery tokens' keys, in memory only: a restart signs everyone out, and no key sits
/// on the card. Cookie authentication and antiforgery need only an <see cref="IDataProtectionProvider"/>; each also
/// calls <c>AddDataProtection</c>, whose key ring (the XML key manager, its repository and a hosted service that makes
/// and stores a key at start, in ~/.aspnet when there is a home directory) the ephemeral provider never uses.
/// </summary>
internal static class MemoryKeys
{
    /// <summary>Before <c>AddAuthentication</c> and <c>AddAntiforgery</c>: their own registration of a provider then gives way to this one.</summary>
    public static void AddProvider(IServiceCollection services) =>
        services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());

    /// <summary>
    /// After them: removes what <c>AddDataProtection</c> registered for the key ring. The NativeAOT build leaves that
    /// registration out altogether (firmware/KalkiEdge.Host/DataProtection.Substitutions.xml), so the key manager's
    /// XML (System.Private.Xml, Cryptography.Xml) is not compiled in; this makes every other build run the same way.
    /// </summary>
    public static void RemoveKeyRing(IServiceCollection services)
    {
        Type[] keyRing =
        [
            typeof(IKeyManager), typeof(IKeyRingProvider), typeof(IDefaultKeyResolver), typeof(IApplicationDiscriminator), typeof(ICertificateResolver),
            typeof(IConfigureOptions<KeyManagementOptions>), typeof(IPostConfigureOptions<KeyManagementOptions>), typeof(IConfigureOptions<DataProtectionOptions>),
        ];
        var dataProtection = typeof(IKeyManager).Assembly;
        for (int i = services.Count - 1; i >= 0; i--)
        {
            var d = services[i];
            if (keyRing.Contains(d.ServiceType) || (d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Assembly == dataProtection))
            {
                services.RemoveAt(i);
            }
        }
    }
}
