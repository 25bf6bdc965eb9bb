//! The `civitac` binary: parsing and dispatch live in `civitac::cli`.

fn main() -> std::process::ExitCode {
    civitac::cli::main()
}
