fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let argv0 = args.first().cloned().unwrap_or_default();
    let invoked_as = std::path::Path::new(&argv0)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("gorae")
        .to_string();
    let code = if invoked_as == "docker" {
        gorae::cli::main(args.split_off(1))
    } else if args.get(1).map(String::as_str) == Some("docker") {
        gorae::cli::main(args.split_off(2))
    } else {
        gorae::tui::main(args.split_off(1))
    };
    std::process::exit(code);
}
