use clap::Parser as _;

#[tokio::main]
async fn main() {
    let cli = livedesk_server::cli::Cli::parse();
    std::process::exit(livedesk_server::cli::main(cli).await);
}
