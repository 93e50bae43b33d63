(()=>{(function(){try{let e=localStorage.getItem("segmentr-theme");(e==="light"||e==="dark")&&(document.documentElement.dataset.theme=e)}catch{}})();})();
