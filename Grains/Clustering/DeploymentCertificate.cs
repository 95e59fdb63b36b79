using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;
using Orleans.Hosting;

namespace Resync.Clustering;

/// <summary>
/// The certificate of a deployment: every silo and every client of the cluster presents it, and accepts only peers
/// that present it too (mutual TLS, pinned to its thumbprint), so a process without it is refused at the handshake,
/// before any grain call. A self-signed one made by <see cref="Create"/> serves a deployment as well as one from a CA.
/// </summary>
public static class DeploymentCertificate
{
    /// <summary>The subject of the certificates <see cref="Create"/> makes.</summary>
    public const string Subject = "resync-deployment";

    /// <summary>A new self-signed certificate (ECDSA P-256) valid for <paramref name="validity"/> (a year when null).</summary>
    public static X509Certificate2 Create(TimeSpan? validity = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now + (validity ?? TimeSpan.FromDays(365)));
        // Through PKCS#12, so that the private key is one TLS can use on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>
    /// Writes <paramref name="certificate"/> with its private key to <paramref name="path"/> (PKCS#12, no password), a new
    /// file readable by its owner only from its creation; an existing file is refused, never replaced.
    /// </summary>
    public static void Write(X509Certificate2 certificate, string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var file = new FileStream(path, options);
            file.Write(certificate.Export(X509ContentType.Pkcs12));
        }
        catch (IOException exception) when (File.Exists(path))
        {
            throw new ArgumentException($"{path} exists already: a deployment's certificate is not replaced by accident; remove it first", exception);
        }
    }

    /// <summary>Reads a deployment certificate (PKCS#12, as <see cref="Write"/> makes); a bad file is refused in one line.</summary>
    public static X509Certificate2 Load(string path, string? password = null)
    {
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
            if (!certificate.HasPrivateKey)
            {
                certificate.Dispose();
                throw new ArgumentException($"the certificate {path} has no private key: a deployment certificate must have one");
            }

            return certificate;
        }
        catch (Exception exception) when (exception is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"cannot read the deployment certificate {path}: {exception.Message}");
        }
    }

    /// <summary>Mutual TLS on every connection of this silo, pinned to <paramref name="certificate"/>.</summary>
    public static ISiloBuilder UseDeploymentTls(this ISiloBuilder silo, X509Certificate2 certificate) =>
        silo.UseTls(certificate, options => Pin(options, certificate));

    /// <summary>Mutual TLS on this client's connections to the gateways, pinned to <paramref name="certificate"/>.</summary>
    public static IClientBuilder UseDeploymentTls(this IClientBuilder client, X509Certificate2 certificate) =>
        client.UseTls(certificate, options => Pin(options, certificate));

    private static void Pin(TlsOptions options, X509Certificate2 certificate)
    {
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        // The deployment's own certificate and no other: self-signed is fine, a stranger's valid certificate is not.
        options.RemoteCertificateValidation = (remote, _, _) => remote.Thumbprint == certificate.Thumbprint;
        options.OnAuthenticateAsClient = (_, client) => client.TargetHost = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
    }
}
