using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace KalkiEdge.Management.Api;

/// <summary>
/// Reads request bodies: JSON only, bounded in size (Kestrel's limit) and depth, unknown members refused; every
/// problem becomes a 4xx with what and where, never an exception out of a handler.
/// </summary>
internal static class ApiJson
{
    public const int MaxDepth = 8;

    /// <summary>Whether the request carries a body (for endpoints whose body is optional).</summary>
    public static bool HasBody(HttpContext context) => context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0;

    /// <summary>The body as <typeparamref name="T"/>, or the error response to send instead.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        var contentType = context.Request.ContentType ?? "";
        if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiErrors.Result(StatusCodes.Status415UnsupportedMediaType, $"the body must be JSON (Content-Type: application/json), got '{Shorten(contentType)}'"));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false);
            return value is null ? (null, ApiErrors.Result(StatusCodes.Status400BadRequest, "the body must be a JSON object, got null")) : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
            var line = e.LineNumber is { } l ? $" (line {l + 1}, byte {e.BytePositionInLine + 1})" : "";
            return (null, ApiErrors.Result(StatusCodes.Status400BadRequest, $"invalid JSON{where}{line}: {FirstSentence(e.Message)}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, ApiErrors.Result(StatusCodes.Status413PayloadTooLarge, $"the body is larger than this endpoint accepts ({context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes)"));
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static string Shorten(string text) => text.Length > 60 ? text[..60] + "…" : text;
}

/// <summary>The API's error body: <c>{"error": "...", "fields": [...]}</c>.</summary>
internal static class ApiErrors
{
    public static IResult Result(int status, string error, IReadOnlyList<FieldError>? fields = null) =>
        Results.Json(new ApiError(error, fields), ApiJsonContext.Default.ApiError, statusCode: status);

    public static Task Write(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ApiError(error), ApiJsonContext.Default.ApiError);
    }
}
