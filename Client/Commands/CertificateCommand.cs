using System.CommandLine;
using Resync.Clustering;

namespace Resync.Client.Commands;

internal static class CertificateCommand
{
    public static Command Create(ResyncCli cli)
    {
        var path = new Argument<string>("path") { Description = "Where to write it (PKCS#12 with its private key, readable by its owner only)." };
        var create = new Command("create", "Make a self-signed deployment certificate: give it to every silo and client (--certificate) for mutual TLS.") { path };
        create.SetAction(parse =>
        {
            try
            {
                var file = parse.GetValue(path)!;
                using var certificate = DeploymentCertificate.Create();
                DeploymentCertificate.Write(certificate, file);
                cli.Output.WriteLine($"wrote {file}: {certificate.Subject}, thumbprint {certificate.Thumbprint}, valid until {certificate.NotAfter:yyyy-MM-dd}");
                return ExitCodes.Success;
            }
            catch (Exception exception)
            {
                return cli.Fail(exception);
            }
        });
        return new Command("certificate", "The deployment certificate of mutual TLS between silos and clients.") { create };
    }
}
