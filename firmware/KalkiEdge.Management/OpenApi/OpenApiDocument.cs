using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KalkiEdge.Management.OpenApi;

/// <summary>
/// GET /openapi/v1.json: the API's OpenAPI document, made from the endpoints at build time and compiled in as a
/// resource (v1.json beside this file). Made at run time, Microsoft.AspNetCore.OpenApi's ≈ 2,700 types would be in
/// the binary and their type data resident for the process's life (docs/platform.md); a unit test makes the document
/// from the real endpoints with that library and fails when this copy differs (<c>make openapi-doc</c> rewrites it).
/// Authenticated like the API (the fallback policy) and, like the generator's own endpoint, not in the document.
/// </summary>
internal static class OpenApiDocument
{
    public const string Path = "/openapi/v1.json";

    /// <summary>The compiled-in copy of OpenApi/v1.json.</summary>
    public const string ResourceName = "KalkiEdge.Management.OpenApi.v1.json";

    public const string ContentType = "application/json;charset=utf-8";

    /// <summary>The document as compiled in; read on every request (it is fetched rarely, and then stays out of the heap).</summary>
    public static Stream Open() => typeof(OpenApiDocument).Assembly.GetManifestResourceStream(ResourceName)
        ?? throw new InvalidOperationException($"{ResourceName} is not compiled into {typeof(OpenApiDocument).Assembly.GetName().Name}");

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet(Path, () => Results.Stream(Open(), ContentType)).ExcludeFromDescription();
}
