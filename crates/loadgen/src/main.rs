use clap::Parser as _;

fn main() {
    let cli = livedesk_loadgen::cli::Cli::parse();
    std::process::exit(livedesk_loadgen::cli::main(cli));
}
