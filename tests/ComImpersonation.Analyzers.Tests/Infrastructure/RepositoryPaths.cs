using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Xml.Linq;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>Finds the repository root, whether tests run from bin/ or from an --artifacts-path elsewhere.</summary>
    internal static class RepositoryPaths
    {
        private static readonly Lazy<string> LazyRoot = new Lazy<string>(() => Find(SourceDirectory()));

        public static string Root => LazyRoot.Value;

        public static string Combine(params string[] parts) => Path.Combine(Root, Path.Combine(parts));

        /// <summary>
        /// The package's home as Directory.Build.props names it once (RepositoryUrl, RepositoryBranch): the help
        /// links, the nuspec and the README must all say the same.
        /// </summary>
        public static (string Url, string Branch) Home()
        {
            XDocument props = XDocument.Load(Combine("Directory.Build.props"));
            string Property(string name) =>
                props.Descendants().SingleOrDefault(e => e.Name.LocalName == name)?.Value.Trim()
                ?? throw new InvalidOperationException("Directory.Build.props does not set " + name + ".");
            return (Property("RepositoryUrl"), Property("RepositoryBranch"));
        }

        private static string Find(string sourceDirectory)
        {
            foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), sourceDirectory })
            {
                for (DirectoryInfo? directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
                {
                    if (File.Exists(Path.Combine(directory.FullName, "global.json"))
                        && Directory.Exists(Path.Combine(directory.FullName, "src", "Analyzers")))
                    {
                        return directory.FullName;
                    }
                }
            }

            throw new InvalidOperationException("Cannot find the repository root (a folder with global.json and src/Analyzers).");
        }

        private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path) ?? ".";
    }
}
