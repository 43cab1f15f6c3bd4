use clap::Parser as _;

fn main() {
    let args = livedesk_loadgen::floor::FloorArgs::parse();
    std::process::exit(livedesk_loadgen::floor::main(args));
}
